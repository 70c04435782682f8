/** nginx config files, bundled as text (wrangler.toml `[[rules]]`). */
declare module "*.conf" {
  const text: string;
  export default text;
}
