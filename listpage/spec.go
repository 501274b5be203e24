package listpage

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
)

// Kinds of list source, as the config's source type names them.
const (
	KindHTML = "html"
	KindJSON = "json"
)

// Select is a source's select block as written in the config. For type
// html every field but HTML and Items is a CSS selector, "sel@attr" taking
// an attribute instead of the text. For type json, HTML is a JSON path to a
// field holding an HTML fragment, read then with the CSS fields; without
// HTML, Items is a JSON path to the list and Title, Link and Date are JSON
// paths inside each entry.
type Select struct {
	Item  string `yaml:"item" json:"item,omitempty"`
	Title string `yaml:"title" json:"title,omitempty"`
	Link  string `yaml:"link" json:"link,omitempty"`
	Date  string `yaml:"date" json:"date,omitempty"`
	HTML  string `yaml:"html" json:"html,omitempty"`
	Items string `yaml:"items" json:"items,omitempty"`
	// Next selects the link to the next list page, when the CMS family's
	// own paging is not recognised (see Pager).
	Next string `yaml:"next" json:"next,omitempty"`
}

// DetailSelect is a source's detail block: what to read on each new entry's
// own page.
type DetailSelect struct {
	Body  string `yaml:"body" json:"body,omitempty"`
	Date  string `yaml:"date" json:"date,omitempty"`   // default: meta[name=PubDate] and its kin
	Title string `yaml:"title" json:"title,omitempty"` // default: meta[name=ArticleTitle], used when the list cut the title
}

// Spec is a compiled select block: ready to extract entries from a page.
// It holds no state and is safe for concurrent use.
type Spec struct {
	Kind string
	// CSS, for html (and json with HTML).
	Item              cssSel
	Title, Link, Date Sel
	Next              *Sel
	// JSON.
	HTML                       Path // a path to an HTML fragment; zero when unused
	Items                      Path
	TitleP, LinkP, DateP       Path
	hasHTML, hasItems, hasDate bool
	// PageParam is the query parameter holding a JSON list's page number.
	PageParam string
}

// DetailSpec is a compiled detail block.
type DetailSpec struct {
	Body, Date, Title Sel
	hasDate, hasTitle bool
}

// cssSel is a compiled CSS selector with the text it was written as.
type cssSel struct {
	raw string
	m   cascadia.Selector // nil: the element itself
}

// Sel is a compiled "css@attr" selector: the first element CSS matches
// under (or, with an empty CSS part, at) the context element, then its
// attribute Attr or, when Attr is "", its text.
type Sel struct {
	Key  string // the config key, for messages: "select.title"
	css  cssSel
	Attr string
}

// String is the selector as written.
func (s Sel) String() string {
	if s.Attr == "" {
		return s.css.raw
	}
	return s.css.raw + "@" + s.Attr
}

// attrSuffix splits "sel@attr"; the attribute is a name, so an "@" inside
// a CSS attribute value ("a[href*='@']") is not mistaken for one.
var attrSuffix = regexp.MustCompile(`^(.*)@([A-Za-z_:][-A-Za-z0-9_:.]*)$`)

func compileCSS(raw string) (cssSel, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return cssSel{}, nil
	}
	m, err := cascadia.Compile(raw)
	if err != nil {
		return cssSel{}, fmt.Errorf("%q is not a CSS selector: %w", raw, err)
	}
	return cssSel{raw: raw, m: m}, nil
}

// CompileSel compiles one "css@attr" selector; key names it in errors.
func CompileSel(key, raw string) (Sel, error) {
	s := Sel{Key: key}
	css := strings.TrimSpace(raw)
	if m := attrSuffix.FindStringSubmatch(css); m != nil && !strings.HasSuffix(m[1], "[") {
		css, s.Attr = strings.TrimSpace(m[1]), m[2]
	}
	c, err := compileCSS(css)
	if err != nil {
		return s, fmt.Errorf("%s: %w", key, err)
	}
	s.css = c
	return s, nil
}

// find returns the first element s selects under ctx (ctx itself when the
// CSS part is empty).
func (s Sel) find(ctx *goquery.Selection) *goquery.Selection {
	if s.css.m == nil {
		return ctx
	}
	return ctx.FindMatcher(s.css.m).First()
}

// Value is what s reads under ctx: the attribute, or the text with runs of
// white space collapsed; "" when nothing matches.
func (s Sel) Value(ctx *goquery.Selection) string {
	el := s.find(ctx)
	if el.Length() == 0 {
		return ""
	}
	if s.Attr != "" {
		v, _ := el.Attr(s.Attr)
		return collapse(v)
	}
	return collapse(el.Text())
}

// Compile checks and compiles a source's select block for kind ("html" or
// "json"); pageParam names the query parameter of a JSON list's page number
// ("" when unused). Every problem is reported, each naming its key
// ("select.item: ...").
func Compile(kind string, s Select, pageParam string) (*Spec, error) {
	sp := &Spec{Kind: kind, PageParam: pageParam}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	css := func(key, raw, def string) Sel {
		if strings.TrimSpace(raw) == "" {
			raw = def
		}
		sel, err := CompileSel(key, raw)
		if err != nil {
			errs = append(errs, err)
		}
		return sel
	}
	path := func(key, raw string) Path {
		p, err := ParsePath(raw)
		if err != nil {
			bad(key, "%v", err)
		}
		return p
	}
	cssMode := kind == KindHTML || (kind == KindJSON && strings.TrimSpace(s.HTML) != "")
	switch kind {
	case KindHTML:
		if s.HTML != "" {
			bad("select.html", "only for type json (a JSON field holding HTML)")
		}
		if s.Items != "" {
			bad("select.items", "only for type json; for html, select.item is a CSS selector")
		}
		if pageParam != "" {
			bad("page_param", "only for type json")
		}
	case KindJSON:
		if s.HTML != "" {
			sp.HTML, sp.hasHTML = path("select.html", s.HTML), true
			if s.Items != "" {
				bad("select.items", "give select.html (an HTML fragment read with CSS) or select.items (a JSON list), not both")
			}
		}
	default:
		return nil, fmt.Errorf("type: %q is not feed, html or json", kind)
	}
	if cssMode {
		if strings.TrimSpace(s.Item) == "" {
			bad("select.item", "required: a CSS selector matching one entry, e.g. \"li\"")
		} else if c, err := compileCSS(s.Item); err != nil {
			bad("select.item", "%v", err)
		} else {
			sp.Item = c
		}
		sp.Title = css("select.title", s.Title, "a@title")
		sp.Link = css("select.link", s.Link, "a@href")
		if strings.TrimSpace(s.Date) != "" {
			sp.Date, sp.hasDate = css("select.date", s.Date, ""), true
		}
		if strings.TrimSpace(s.Next) != "" {
			n := css("select.next", s.Next, "")
			if n.Attr == "" {
				n.Attr = "href"
			}
			sp.Next = &n
		}
		return sp, errors.Join(errs...)
	}
	// A JSON list.
	if s.Item != "" {
		bad("select.item", "a CSS selector is only read from HTML: use select.items (a JSON path), or select.html")
	}
	if s.Next != "" {
		bad("select.next", "only for HTML lists; a JSON list pages with page_param")
	}
	if strings.TrimSpace(s.Items) == "" {
		bad("select.items", "required for a JSON list: the path to the array of entries, e.g. \"data.list\" (\".\" for the document)")
	} else {
		sp.Items, sp.hasItems = path("select.items", s.Items), true
	}
	for _, f := range []struct {
		key, raw string
		dst      *Path
	}{{"select.title", s.Title, &sp.TitleP}, {"select.link", s.Link, &sp.LinkP}} {
		if strings.TrimSpace(f.raw) == "" {
			bad(f.key, "required for a JSON list: the field of each entry, e.g. \"title\"")
			continue
		}
		*f.dst = path(f.key, f.raw)
	}
	if strings.TrimSpace(s.Date) != "" {
		sp.DateP, sp.hasDate = path("select.date", s.Date), true
	}
	return sp, errors.Join(errs...)
}

// CompileDetail checks and compiles a detail block.
func CompileDetail(d DetailSelect) (*DetailSpec, error) {
	var errs []error
	ds := &DetailSpec{}
	if strings.TrimSpace(d.Body) == "" {
		errs = append(errs, errors.New("detail.body: required: a CSS selector for the article text, e.g. \"div.TRS_Editor\""))
	} else if s, err := CompileSel("detail.body", d.Body); err != nil {
		errs = append(errs, err)
	} else {
		ds.Body = s
	}
	if strings.TrimSpace(d.Date) != "" {
		s, err := CompileSel("detail.date", d.Date)
		errs = append(errs, err)
		ds.Date, ds.hasDate = s, err == nil
	}
	if strings.TrimSpace(d.Title) != "" {
		s, err := CompileSel("detail.title", d.Title)
		errs = append(errs, err)
		ds.Title, ds.hasTitle = s, err == nil
	}
	return ds, errors.Join(errs...)
}

// collapse trims s and turns every run of white space (ideographic space
// and non-breaking space included) into one space.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\f', '\v', '\u00a0', '\u3000', '\u200b', '\ufeff', '\u2002', '\u2003', '\u2009':
		return true
	}
	return false
}
