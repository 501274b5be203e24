package govsite

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"text/template"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// site holds the fixtures: per column an articles.txt (the data) and the
// text/template files its pages are rendered from.
//
//go:embed site
var site embed.FS

// origin stands for the server's own origin ("http://127.0.0.1:port") in
// fixtures: a list may link its own articles with absolute URLs.
const origin = "@ORIGIN@"

// article is one notice of a column, as written in its articles.txt.
type article struct {
	Link     string // path from the site root, where the detail page is served
	Href     string // the link as the list writes it; "-": the list gives none
	Page     int    // list page (1-based) that shows it
	Title    string // full title
	Text     string // list text (cut titles end in "…" or "...")
	Date     string // list date, normalised: "2006-01-02" or "2006-01-02 15:04"
	ListDate string // list date as the list shows it
	Pub      string // detail PubDate as the page shows it
	PubDate  string // Pub normalised
	Class    string // "quality", "neutral" (title neutral, body quality), "related" (on the edge), "other"
	Source   string // 信息来源
	Attach   string // attachment: "file|label" or a label alone
	Paras    []string
}

// AttachFile and AttachLabel split Attach.
func (a *article) AttachFile() string {
	f, _, _ := strings.Cut(a.Attach, "|")
	return f
}

func (a *article) AttachLabel() string {
	if _, l, ok := strings.Cut(a.Attach, "|"); ok {
		return l
	}
	return a.Attach
}

// Body is the article's text, paragraphs joined by newlines.
func (a *article) Body() string { return strings.Join(a.Paras, "\n") }

// parseArticles reads an articles.txt: "== <link>" opens an article,
// "key: value" lines follow up to a blank line, then one paragraph a line.
// Lines starting with "#" before the first article are comments.
func parseArticles(name string, data []byte) ([]*article, error) {
	var out []*article
	var cur *article
	inBody := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "== "):
			cur = &article{Link: strings.TrimSpace(line[3:]), Page: 1}
			out = append(out, cur)
			inBody = false
		case cur == nil:
			if line != "" && !strings.HasPrefix(line, "#") {
				return nil, fmt.Errorf("%s:%d: text before the first article", name, n)
			}
		case inBody:
			if line != "" {
				cur.Paras = append(cur.Paras, line)
			}
		case line == "":
			inBody = true
		default:
			k, v, ok := strings.Cut(line, ": ")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want \"key: value\", got %q", name, n, line)
			}
			if err := cur.set(k, v); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, n, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, a := range out {
		if a.Title == "" || a.Date == "" || a.Class == "" || len(a.Paras) == 0 {
			return nil, fmt.Errorf("%s: article %s lacks title, date, class or body", name, a.Link)
		}
		defaults(&a.Href, a.Link)
		defaults(&a.Text, a.Title)
		defaults(&a.ListDate, a.Date)
		defaults(&a.PubDate, a.Pub)
	}
	return out, nil
}

func defaults(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func (a *article) set(k, v string) error {
	fields := map[string]*string{
		"title": &a.Title, "text": &a.Text, "href": &a.Href, "date": &a.Date,
		"listdate": &a.ListDate, "pub": &a.Pub, "pubdate": &a.PubDate,
		"class": &a.Class, "source": &a.Source, "attach": &a.Attach,
	}
	if k == "page" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("page %q", v)
		}
		a.Page = n
		return nil
	}
	p, ok := fields[k]
	if !ok {
		return fmt.Errorf("unknown key %q", k)
	}
	*p = v
	return nil
}

// column is one fake column: its articles and page templates.
type column struct {
	name  string
	gbk   bool   // pages are served GBK-encoded
	ctype string // Content-Type header of its HTML pages
	arts  []*article
	tmpl  *template.Template
	pages int
}

// loadArticles reads the articles of the column in site/<name>.
func loadArticles(name string) ([]*article, error) {
	data, err := site.ReadFile(path.Join("site", name, "articles.txt"))
	if err != nil {
		return nil, err
	}
	return parseArticles(name+"/articles.txt", data)
}

// loadColumn reads site/<name>: articles.txt and its *.html and *.xml
// templates.
func loadColumn(name string, gbk bool, ctype string) (*column, error) {
	arts, err := loadArticles(name)
	if err != nil {
		return nil, err
	}
	c := &column{name: name, gbk: gbk, ctype: ctype, arts: arts}
	for _, a := range arts {
		c.pages = max(c.pages, a.Page)
	}
	sub, err := fs.Sub(site, path.Join("site", name))
	if err != nil {
		return nil, err
	}
	pats := []string{"*.html"}
	if m, _ := fs.Glob(sub, "*.xml"); len(m) > 0 {
		pats = append(pats, "*.xml")
	}
	funcs := template.FuncMap{"add": func(a, b int) int { return a + b }, "sub": func(a, b int) int { return a - b }}
	c.tmpl, err = template.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(sub, pats...)
	if err != nil {
		return nil, fmt.Errorf("column %s: %w", name, err)
	}
	return c, nil
}

// onPage returns the articles the list shows on page n (1-based).
func (c *column) onPage(n int) []*article {
	var out []*article
	for _, a := range c.arts {
		if a.Page == n && a.Href != "-" {
			out = append(out, a)
		}
	}
	return out
}

// listData is what list templates get.
type listData struct {
	Page  int // 1-based
	Index int // Page-1, as TRS's currentPage
	Pages int
	Total int // entries over all pages
	Items []*article
	Up    string // "" or "../": from this list page to the column's root
}

// render executes template name and makes the result ready to serve:
// the origin filled in, GBK-encoded when the column is.
func (c *column) render(name string, data any, org string) ([]byte, error) {
	var b bytes.Buffer
	if err := c.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		return nil, err
	}
	out := bytes.ReplaceAll(b.Bytes(), []byte(origin), []byte(org))
	if !c.gbk {
		return out, nil
	}
	enc, err := simplifiedchinese.GBK.NewEncoder().Bytes(out)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: GBK: %w", c.name, name, err)
	}
	return enc, nil
}
