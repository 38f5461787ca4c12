// The hreflang alternates in each page's <head> are absolute URLs under site_url, as search
// engines want (sitebuild/seo.py). Material's language selector fetches sitemap.xml next to each
// of them. Where the built site is previewed from another origin (a local server), point them at
// that origin, so that those requests stay local. On the published site this changes nothing.
// It runs before Material reads the links (on DOMContentLoaded).
for (const link of document.querySelectorAll('link[rel="alternate"][hreflang]')) {
  const url = new URL(link.href);
  if (url.origin !== location.origin) {
    link.href = location.origin + url.pathname;
  }
}
