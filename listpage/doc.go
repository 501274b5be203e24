// Package listpage reads government list pages: the HTML columns and JSON
// endpoints that regulators publish instead of feeds. It is pure: bytes in
// (already decoded to UTF-8), entries out; the watcher does the fetching.
//
// A source's select block is compiled once, when the config loads
// (Compile, CompileDetail), into a Spec whose Extract reads one page:
//
//  1. Hanweb JCMS pages keep their entries as <record><![CDATA[…]]> in a
//     <script type="text/xml"> datastore; each record is parsed on its own
//     and select.item matched inside it. Other HTML is parsed whole.
//  2. For type json, select.html names a field holding an HTML fragment
//     (jpaas build/unit), read then as HTML; else select.items names the
//     array of entries and title, link and date are paths inside each.
//  3. Each matched element gives an entry when it has a title and a link
//     (navigation items without them are skipped); links are made absolute
//     against the page URL or its <base href>, fragments dropped.
//  4. Dates are read as Chinese sites write them (ParseDate), else from the
//     link's path (DateFromURL); no zone means the configured one; a date
//     far in the future is set aside, never replaced by "now".
//  5. A page whose selectors yield no entry, or whose date selector reads no
//     date at all, is a *LayoutError naming the selector at fault.
//
// A Pager finds the following list pages the way each CMS family pages;
// DetailSpec.Extract reads an entry's own page (body, date, full title);
// Probe recognises a page's CMS and proposes a select block.
package listpage
