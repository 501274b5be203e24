package config

import (
	"fmt"

	"github.com/qualitywatch/qualitywatch/listpage"
)

// compile checks a source's type and list settings and compiles its select
// and detail blocks, each error naming its path.
func (s *Source) compile(p string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", p, key, fmt.Sprintf(format, args...)))
	}
	prefixed := func(err error) {
		if err == nil {
			return
		}
		for _, e := range splitErrors(err) {
			errs = append(errs, fmt.Errorf("%s.%w", p, e))
		}
	}
	switch s.Type {
	case SourceFeed:
		for _, u := range []struct {
			key string
			set bool
		}{{"select", s.Select != nil}, {"detail", s.Detail != nil}, {"pages", s.Pages != 1},
			{"page_param", s.PageParam != ""}, {"allow_empty", s.AllowEmpty}, {"allow_private", s.AllowPrivate}} {
			if u.set {
				bad(u.key, "only for list-page sources (type html or json)")
			}
		}
	case SourceHTML, SourceJSON:
		if s.Select == nil {
			bad("select", "required for type %s: CSS selectors (or JSON paths) for item, title, link and date", s.Type)
		} else {
			spec, err := listpage.Compile(s.Type, *s.Select, s.PageParam)
			prefixed(err)
			if err == nil {
				s.List = spec
			}
		}
		if s.Detail != nil {
			d, err := listpage.CompileDetail(*s.Detail)
			prefixed(err)
			if err == nil {
				s.DetailSpec = d
			}
		}
		if s.Pages < 1 || s.Pages > MaxPages {
			bad("pages", "%d is not between 1 and %d", s.Pages, MaxPages)
		}
	default:
		bad("type", "%q is not feed, html or json", s.Type)
	}
	if s.Charset != "" && !knownCharset(s.Charset) {
		bad("charset", "%q is not a charset this program reads (utf-8, gbk, gb2312, gb18030, big5, ...)", s.Charset)
	}
	return errs
}

// splitErrors undoes errors.Join.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
