package watcher

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
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
			if isLegacyTrackingParam(k) {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode() // sorted by key
	}
	u.ForceQuery = false
	return u.String()
}

// TrackingParams are the query parameters that only track the reader and
// are dropped from links: these names, and every name starting with one of
// TrackingPrefixes.
var TrackingParams = []string{
	"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid",
	"spm", "from", "from_source", "isappinstalled", "scene", "srcid", "wfr", "tt_from", "ref",
}

// TrackingPrefixes: utm_source, share_token, share_from, wechat_…, ….
var TrackingPrefixes = []string{"utm_", "share_", "wechat_"}

// isTrackingParam reports whether a query key only tracks the reader.
func isTrackingParam(key string) bool {
	k := strings.ToLower(key)
	for _, p := range TrackingPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	for _, t := range TrackingParams {
		if k == t {
			return true
		}
	}
	return false
}

// isLegacyTrackingParam is the list NormalizeLink has always dropped:
// identities made with it must stay the same.
func isLegacyTrackingParam(key string) bool {
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

// defaultPages are the file names a server answers a directory with.
var defaultPages = []string{"index.html", "index.htm", "index.shtml", "index.php", "index.jsp", "index.asp", "index.aspx", "default.html", "default.htm", "default.aspx"}

// CanonicalLink is a link as an identity: the same article however a feed
// writes its link today. On top of NormalizeLink (host lower-cased, default
// port, tracking parameters and fragment dropped, query sorted) the scheme
// is dropped (http and https are one), a default index page is folded into
// its directory (/tzgg/index.html is /tzgg/) and a trailing slash dropped.
// Links that are not absolute http(s) are returned trimmed.
func CanonicalLink(link string) string {
	n := NormalizeLink(link)
	u, err := url.Parse(n)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return n
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if isTrackingParam(k) {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode()
	}
	dir, file := path.Split(u.Path)
	for _, d := range defaultPages {
		if strings.EqualFold(file, d) {
			u.Path = dir
			break
		}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if u.Port() == "443" || u.Port() == "80" {
		u.Host = u.Hostname()
	}
	u.Scheme = ""
	return u.String()
}

// Keys are an entry's identities, each enough to recognise it again: its
// canonical link (unless the link is shared by other entries of the same
// feed, as with feeds that link every entry to one page), its guid
// (qualified with the source when it is not a URL), and, when it has
// neither, its title and date. An entry is seen when any of its keys was
// seen: a guid that changes while the link stays, or a link that moves to
// https or gains tracking parameters while the guid stays, is the same item.
func Keys(source string, e Entry, sharedLink bool) []string {
	return keysOf(source, e, sharedLink, CanonicalLink)
}

// keysOf is Keys with canon giving canonical links (a poll remembers the
// ones it computed: an entry's link is its guid too, more often than not).
func keysOf(source string, e Entry, sharedLink bool, canon func(string) string) []string {
	var keys []string
	if l := strings.TrimSpace(e.Link); l != "" && !sharedLink {
		keys = append(keys, "link:"+canon(l))
	}
	if g := strings.TrimSpace(e.GUID); g != "" {
		if strings.Contains(g, "://") {
			keys = append(keys, "link:"+canon(g))
		} else {
			keys = append(keys, source+"/guid:"+g)
		}
	}
	if len(keys) == 0 {
		id := Identity(Entry{Title: e.Title, Summary: e.Summary, Content: e.Content, Published: e.Published})
		keys = append(keys, source+"/"+id)
	}
	return keys
}
