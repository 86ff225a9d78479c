/**
 * js-yaml 3 (a devDependency, the version jest and @nestjs/swagger already use) ships no types, and
 * @types/js-yaml describes version 4: the one function the protocol-docs suite uses.
 */
declare module 'js-yaml' {
  const yaml: { load(text: string): unknown };
  export default yaml;
}
