package govsite

import (
	"fmt"
	"net/url"
	"time"
)

// Entry is what a correct reader yields for one list item.
type Entry struct {
	// Title is the full title: a@title where the list cuts its text.
	Title string
	// Link is the detail page's path from the site root
	// ("/art/2026/11/30/art_76551_9001.html"), whether the list wrote it
	// relative, root-relative or absolute.
	Link string
	// Date is the list's date: "2026-11-30", or "2026-11-30 09:00" where
	// the list gives a time (Asia/Shanghai; epoch milliseconds converted).
	Date string
	// PubDate is the detail page's date, normalised the same way (from
	// meta PubDate, or the page's 发布时间 where it has no meta).
	PubDate string
}

// Selectors are the select/detail settings that read a column right (see
// README.md). "sel@attr" takes an attribute, else the element's text.
type Selectors struct {
	HTML  string // JSON path to an HTML fragment (jpaas); "" otherwise
	Items string // JSON path to the entries of a JSON list; "" otherwise
	Item  string // CSS: one entry (Hanweb: inside each datastore record)
	Title string // CSS, or a JSON path relative to an entry for JSON lists
	Link  string
	Date  string
	// Detail page.
	Body       string
	DetailDate string
}

// Column is one column of the site and what reading it must give.
type Column struct {
	Path  string // list URL path, with the query for APIs (page 1)
	Shell string // for API columns, the HTML page whose script points at Path; "" otherwise
	Pages int    // list pages available
	// Entries are all entries over all pages, in page order; items without
	// a link or a title (menus, separators, the JSON item without url) are
	// not entries.
	Entries []Entry
	// Quality are the links of entries whose title or detail body is a
	// quality announcement (抽检, 抽查, 召回, 质量月, 计量, 标准, 检验检测, ...);
	// Neutral those of them whose title says nothing of it but whose body
	// does (so they are also in Quality). The others, 党建, 人事, 政务公开 and
	// the like, may still say 高质量发展.
	Quality []string
	Neutral []string
	// Related are notices on the edge of quality work (the labelling
	// rubric's 1: not scored): an alert for one is neither right nor wrong.
	Related []string
	Select  Selectors
}

// Now is a moment just after every date in the fixtures, for readers that
// set aside dates ahead of the time of reading.
func Now() time.Time {
	return time.Date(2026, 12, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*60*60))
}

// UnitQuery returns the jpaas build/unit API path and query for page n of
// the 产品质量国家监督抽查 column, as its shell page's script describes it:
// the page number inside paramJson, tagId percent-encoded.
func UnitQuery(n int) string {
	q := url.Values{
		"parseType": {"bulidstatic"}, "pageType": {"column"}, "webId": {jpaasWebID},
		"pageId": {jpaasPageID}, "tplSetId": {jpaasTplSetID}, "tagId": {jpaasTag},
		"paramJson": {fmt.Sprintf(`{"pageNo":%d,"pageSize":10}`, n)},
	}
	return UnitPath + "?" + q.Encode()
}

// Columns returns, for each column, what a correct reader yields. Keys:
// "hanweb", "hanweb-gbk", "trs-gbk", "vsb", "jpaas", "jsonlist", "cookie".
// The map is new on each call.
func Columns() map[string]Column {
	meta := Selectors{Title: "a@title", Link: "a@href", Date: "span", DetailDate: "meta[name=PubDate]@content"}
	hanweb := meta
	hanweb.Item, hanweb.Body = "li", "div.text_content"
	trs := meta
	trs.Item, trs.Body = "ul.category-list li", "div.wenzhang div.content"
	vsb := meta
	vsb.Item, vsb.Body, vsb.DetailDate = "div.main-list li", "div.v_news_content", "div.content-info span:first-child"
	cols := map[string]Column{
		"hanweb":     {Path: "/col/col76551/index.html", Select: hanweb},
		"hanweb-gbk": {Path: "/col/col1234/index.html", Select: hanweb},
		"trs-gbk":    {Path: "/zwgk/tzgg/index.html", Select: trs},
		"vsb":        {Path: "/list.htm", Select: vsb},
		"jpaas": {Path: UnitQuery(1), Shell: "/zljds/jdcc/index.html", Select: Selectors{
			HTML: "data.html", Item: "li.content-3-left-text", Title: "a", Link: "a@href",
			Date: "div.contentRight01time", Body: "div.zt_xilan_07", DetailDate: "meta[name=PubDate]@content"}},
		"jsonlist": {Path: JSONListPath + "?page=1", Select: Selectors{
			Items: "data.list", Title: "title", Link: "url", Date: "publishTime",
			Body: "div.article-content", DetailDate: "meta[name=PubDate]@content"}},
		"cookie": {Path: CookiePath, Select: Selectors{
			Item: "div.boxl_ul ul li", Title: "a", Link: "a@href", Date: "span",
			Body: "div.TRS_Editor", DetailDate: "meta[name=PubDate]@content"}},
	}
	for name, c := range cols {
		arts, err := loadArticles(name)
		if err != nil {
			panic(fmt.Sprintf("govsite: %v", err)) // embedded fixtures; the package's tests read them
		}
		for _, a := range arts {
			c.Pages = max(c.Pages, a.Page)
			if a.Href == "-" {
				continue
			}
			c.Entries = append(c.Entries, Entry{Title: a.Title, Link: a.Link, Date: a.Date, PubDate: a.PubDate})
			switch a.Class {
			case "quality", "neutral":
				c.Quality = append(c.Quality, a.Link)
			case "related":
				c.Related = append(c.Related, a.Link)
			}
			if a.Class == "neutral" {
				c.Neutral = append(c.Neutral, a.Link)
			}
		}
		cols[name] = c
	}
	return cols
}
