package listpage

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Path is a compiled JSON path in dot notation: "data.list", "data.html",
// "result.items[0].title" or "result.items.0.title"; "." (or "$") is the
// value itself. A leading "$." is allowed.
type Path struct {
	raw   string
	steps []step
}

type step struct {
	key   string
	index int // >= 0: an array index; -1: an object key
}

// String is the path as written.
func (p Path) String() string { return p.raw }

// ParsePath compiles a JSON path.
func ParsePath(raw string) (Path, error) {
	p := Path{raw: strings.TrimSpace(raw)}
	s := strings.TrimPrefix(strings.TrimPrefix(p.raw, "$"), ".")
	if s == "" {
		return p, nil
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return p, fmt.Errorf("%q is not a JSON path like \"data.list\": empty step", raw)
		}
		key := part
		var idx []int
		if i := strings.IndexByte(part, '['); i >= 0 {
			key = part[:i]
			rest := part[i:]
			for rest != "" {
				end := strings.IndexByte(rest, ']')
				if rest[0] != '[' || end < 0 {
					return p, fmt.Errorf("%q is not a JSON path like \"data.list[0]\": bad index in %q", raw, part)
				}
				n, err := strconv.Atoi(rest[1:end])
				if err != nil || n < 0 {
					return p, fmt.Errorf("%q is not a JSON path: %q is not an index", raw, rest[1:end])
				}
				idx = append(idx, n)
				rest = rest[end+1:]
			}
		}
		if key != "" {
			if n, err := strconv.Atoi(key); err == nil && n >= 0 && len(idx) == 0 {
				p.steps = append(p.steps, step{index: n})
				continue
			}
			p.steps = append(p.steps, step{key: key, index: -1})
		}
		for _, n := range idx {
			p.steps = append(p.steps, step{index: n})
		}
	}
	return p, nil
}

// Get follows the path from v (decoded with UseNumber), reporting whether
// every step was found.
func (p Path) Get(v any) (any, bool) {
	for _, s := range p.steps {
		switch c := v.(type) {
		case map[string]any:
			if s.index >= 0 {
				var ok bool
				if v, ok = c[strconv.Itoa(s.index)]; !ok {
					return nil, false
				}
				continue
			}
			var ok bool
			if v, ok = c[s.key]; !ok {
				return nil, false
			}
		case []any:
			if s.index < 0 || s.index >= len(c) {
				return nil, false
			}
			v = c[s.index]
		default:
			return nil, false
		}
	}
	return v, true
}

// scalar renders a JSON value read as an entry's field: strings as they
// are, numbers in their literal form (epoch milliseconds stay digits),
// booleans and null as "".
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}
