package watcher

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestIdentity(t *testing.T) {
	pub := time.Date(2024, 3, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tests := []struct {
		name string
		a, b Entry // b is a's entry as fetched another time
		same bool
		kind string
	}{
		{"guid, trimmed", Entry{GUID: " wfscjg-6312345 \n"}, Entry{GUID: "wfscjg-6312345", Title: "标题改了"}, true, "guid:"},
		{"guid wins over link", Entry{GUID: "g1", Link: "https://a.example/1"}, Entry{GUID: "g1", Link: "https://a.example/2"}, true, "guid:"},
		{"different guids", Entry{GUID: "g1"}, Entry{GUID: "g2"}, false, "guid:"},
		{"link: host case, fragment, tracking, query order",
			Entry{Link: "HTTPS://SCJGJ.Weifang.example/tzgg/t1.html?b=2&a=1&utm_source=rss#top"},
			Entry{Link: "https://scjgj.weifang.example/tzgg/t1.html?a=1&b=2&utm_medium=feed&fbclid=x"}, true, "link:"},
		{"link: default port and empty path", Entry{Link: "http://a.example:80"}, Entry{Link: "http://a.example/"}, true, "link:"},
		{"link: archive anchors tell entries apart",
			Entry{Link: "http://www.cnblog.org/blog/archives/2004_08_29_cnblog_archive.html#109424958546889584"},
			Entry{Link: "http://www.cnblog.org/blog/archives/2004_08_29_cnblog_archive.html#109405270763030919"}, false, "link:"},
		{"link: path case matters", Entry{Link: "https://a.example/A.html"}, Entry{Link: "https://a.example/a.html"}, false, "link:"},
		{"link: meaningful query kept", Entry{Link: "https://a.example/art?id=1"}, Entry{Link: "https://a.example/art?id=2"}, false, "link:"},
		{"title and date", Entry{Title: "质量月", Published: pub}, Entry{Title: "质量月", Published: pub.UTC()}, true, "title:"},
		{"same title, other date", Entry{Title: "质量月", Published: pub}, Entry{Title: "质量月", Published: pub.Add(24 * time.Hour)}, false, "title:"},
		{"summary stands in for title", Entry{Summary: "<p>抽检</p>"}, Entry{Summary: "抽检"}, true, "title:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Identity(tt.a), Identity(tt.b)
			if !strings.HasPrefix(a, tt.kind) {
				t.Errorf("Identity = %q, want kind %q", a, tt.kind)
			}
			if (a == b) != tt.same {
				t.Errorf("Identity %q vs %q: same = %v, want %v", a, b, a == b, tt.same)
			}
			if Identity(tt.a) != a {
				t.Errorf("Identity is not deterministic")
			}
		})
	}
}

func TestNormalizeLink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTP://Example.COM:80/a?z=1&utm_campaign=x&a=2#frag", "http://example.com/a?a=2&z=1"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"https://example.com/a?utm_source=rss", "https://example.com/a"},
		{"https://example.com/archive.html#post-123", "https://example.com/archive.html#post-123"},
		{"https://example.com/a.html#comments", "https://example.com/a.html"},
		{"/relative/link.html", "/relative/link.html"},
		{"mailto:qa@example.org", "mailto:qa@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeLink(tt.in); got != tt.want {
				t.Errorf("NormalizeLink(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	valid := regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)
	tests := []struct {
		name, source, id, wantPrefix string
	}{
		{"plain source", "weifang-news", "guid:wfscjg-6312345", "weifang-news."},
		{"chinese id", "weifang-news", "title:潍坊市质量月", "weifang-news."},
		{"odd source characters", "潍坊 news*", "link:https://a.example/", "___news_."},
		{"empty source", "", "guid:1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := Key(tt.source, tt.id)
			if !valid.MatchString(k) || !strings.HasPrefix(k, tt.wantPrefix) || strings.HasPrefix(k, ".") {
				t.Errorf("Key = %q, want a KV-safe key with prefix %q", k, tt.wantPrefix)
			}
			if len(k) != len(tt.wantPrefix)+32 {
				t.Errorf("Key = %q: want 32 hex digits after the prefix", k)
			}
			if Key(tt.source, tt.id) != k || Key(tt.source, tt.id+"x") == k {
				t.Errorf("Key is not a stable function of the id")
			}
		})
	}
}
