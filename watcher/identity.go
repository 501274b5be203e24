package watcher

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
)

// Identity is an entry's stable identity, the same on every fetch of the
// feed:
//
//   - "guid:<guid>" when the entry has a guid (Atom id, JSON Feed id);
//   - else "link:<normalised link>" (see NormalizeLink);
//   - else "title:<hex sha256>" of the title and the publication date
//     (the summary stands in for a missing title).
func Identity(e Entry) string {
	if g := strings.TrimSpace(e.GUID); g != "" {
		return "guid:" + g
	}
	if l := strings.TrimSpace(e.Link); l != "" {
		return "link:" + NormalizeLink(l)
	}
	title := strings.TrimSpace(e.Title)
	if title == "" {
		title = Summary(e, 0)
	}
	date := ""
	if !e.Published.IsZero() {
		date = e.Published.UTC().Format(time.RFC3339)
	}
	sum := sha256.Sum256([]byte(title + "\n" + date))
	return "title:" + hex.EncodeToString(sum[:])
}

// Key turns an identity into a key-value store key of the form
// "<source>.<32 hex digits>", made only of [-/_=.a-zA-Z0-9]. Characters of
// source outside that set become "_".
func Key(source, id string) string {
	sum := sha256.Sum256([]byte(id))
	h := hex.EncodeToString(sum[:])[:32]
	src := strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '/', r == '=', r == '.':
			return r
		}
		return '_'
	}, source), ".")
	if src == "" {
		return h
	}
	return src + "." + h
}

// NormalizeLink puts an absolute http(s) link in a canonical form so that
// the same article gets the same identity when only tracking parameters,
// the fragment, case of the host or order of the query change: scheme and
// host are lower-cased, a default port, tracking parameters (utm_*, fbclid,
// ...) and the fragment are dropped, the query is sorted. A fragment with a
// digit is kept: feeds that link every entry into one archive page
// (archive.html#109424958546889584, #post-123) tell entries apart only by
// it. Other links are returned trimmed.
func NormalizeLink(link string) string {
	link = strings.TrimSpace(link)
	u, err := url.Parse(link)
	if err != nil || u.Host == "" {
		return link
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return link
	}
	u.Host = strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		u.Host = u.Hostname()
	}
	if !strings.ContainsAny(u.Fragment, "0123456789") {
		u.Fragment, u.RawFragment = "", ""
	}
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if isTrackingParam(k) {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode() // sorted by key
	}
	u.ForceQuery = false
	return u.String()
}

// isTrackingParam reports whether a query key only tracks the reader.
func isTrackingParam(key string) bool {
	k := strings.ToLower(key)
	if strings.HasPrefix(k, "utm_") {
		return true
	}
	switch k {
	case "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "spm", "from_source":
		return true
	}
	return false
}
