// node-tar publishes each part under its own subpath (`tar/header`, `tar/pax`), so the bundle
// takes the header encoder alone (10 KB) instead of the whole package (86 KB); this project's
// `moduleResolution: node` does not read subpath types from package exports, so they are
// declared here from the package's own root types.
declare module 'tar/header' {
  export { Header } from 'tar';
}
declare module 'tar/pax' {
  export { Pax } from 'tar';
}
