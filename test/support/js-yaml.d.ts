/**
 * js-yaml is in node_modules (a dependency of jest's and of @nestjs/swagger's) without types, and
 * @types/js-yaml is not installed: the one function the protocol-docs suite uses. load() is the safe
 * loader in every major version from 4 on, and in 3 it reads plain YAML the same way.
 */
declare module 'js-yaml' {
  const yaml: { load(text: string): unknown };
  export default yaml;
}
