// Loaded into a Conclave server with --import by bench/sign-in.mjs: its `import … from 'bcrypt'`
// then loads bcryptjs, the pure-JavaScript bcrypt Conclave hashed with before, so the same run
// measures "before" (hashing on the event loop) beside "after" (native bcrypt on libuv's threads).
import { registerHooks } from 'node:module';

let announced = false;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier !== 'bcrypt') return nextResolve(specifier, context);
    if (!announced) process.stderr.write(`bench: pid ${process.pid} hashes with bcryptjs (pure JavaScript) instead of bcrypt\n`);
    announced = true;
    return nextResolve('bcryptjs', context);
  },
});
