package watcher

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain text is trimmed and collapsed", "  潍坊市\n\t质量月  活动 ", "潍坊市 质量月 活动"},
		{"tags dropped", "<p>近日，<strong>潍坊市</strong>组织抽检食品<b>326</b>批次。</p>", "近日，潍坊市组织抽检食品326批次。"},
		{"blocks and br separate words", "<p>first</p><p>second<br>third</p><ul><li>a</li><li>b</li></ul>", "first second third a b"},
		{"entities decoded", "R&amp;D &lt;质量&gt; &quot;标准&quot; &#36136;&#x91CF;&nbsp;月", `R&D <质量> "标准" 质量 月`},
		{"double-escaped entities decoded", "通知如下&amp;hellip; &amp;lt;b&amp;gt;", "通知如下… <b>"},
		{"script and style removed", "<style>p{color:red}</style><script>alert(1)</script><p>召回</p>", "召回"},
		{"ideographic spaces collapse", "　　中国加入世界贸易组织已经三年了。\n\n　　多年来", "中国加入世界贸易组织已经三年了。 多年来"},
		{"comments removed", "质量<!-- 注释 -->强市", "质量强市"},
		{"bare less-than kept", "a < b and 3<5", "a < b and 3<5"},
		{"nested hidden elements", "<object>a<object>b</object>c</object>抽检<iframe>x</iframe>", "抽检"},
		{"an unclosed script hides the rest", "召回<script>var a = '<p>x</p>'", "召回"},
		{"self-closing and void tags separate words", "one<br/>two<hr>three<img src=x>four", "one two three four"},
		{"head is not text", "<head><title>页面</title></head><p>正文</p>", "正文"},
		{"noscript hidden", "<noscript>请启用脚本</noscript>标准化", "标准化"},
		{"end tag of a block separates", "<div>质量</div>强市", "质量 强市"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	long := "<p>" + strings.Repeat("抽检", 100) + "</p>"
	tests := []struct {
		name string
		e    Entry
		max  int
		want string
	}{
		{"summary preferred", Entry{Summary: "<p>摘要</p>", Content: "<p>全文</p>"}, 10, "摘要"},
		{"content when no summary", Entry{Summary: "  ", Content: "<div>全文 内容</div>"}, 10, "全文 内容"},
		{"nothing", Entry{}, 10, ""},
		{"short enough stays whole", Entry{Summary: "质量强市"}, 4, "质量强市"},
		{"cut at a rune with an ellipsis", Entry{Summary: "质量强市建设"}, 4, "质量强…"},
		{"no trailing space before the ellipsis", Entry{Summary: "ab cd"}, 4, "ab…"},
		{"one rune", Entry{Summary: "质量"}, 1, "…"},
		{"no limit", Entry{Summary: long}, 0, strings.Repeat("抽检", 100)},
		{"long html", Entry{Summary: long}, 11, strings.Repeat("抽检", 5) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summary(tt.e, tt.max)
			if got != tt.want {
				t.Errorf("Summary = %q, want %q", got, tt.want)
			}
			if tt.max > 0 && utf8.RuneCountInString(got) > tt.max {
				t.Errorf("Summary has %d runes, max %d", utf8.RuneCountInString(got), tt.max)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Summary is not valid UTF-8")
			}
		})
	}
}

func BenchmarkPlainText(b *testing.B) {
	html := strings.Repeat("<p>近日，<strong>潍坊市市场监督管理局</strong>组织抽检食品326批次&amp;hellip;</p>", 200)
	for b.Loop() {
		PlainText(html)
	}
}

// TestCollapseSpace compares collapseSpace with the plain rune-by-rune
// version it replaced.
func TestCollapseSpace(t *testing.T) {
	ref := func(s string) string {
		var b strings.Builder
		space := false
		for _, r := range s {
			if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
				space = true
				continue
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
		return b.String()
	}
	for _, s := range []string{
		"", " ", "a", " a ", "质量\u3000强市", "\u200b质量\ufeff月\u00a0活动\u0085x", "a\xffb", "\xff \xfe", "\xe4\xb8", "a\v\fb\r\nc",
		"　　中国加入世界贸易组织已经三年了。\n\n　　多年来", "R&D <b>", "x\u2028y\u205fz", strings.Repeat("抽检 ", 50),
	} {
		if got, want := collapseSpace(s), ref(s); got != want {
			t.Errorf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzPlainText: any input gives one line of valid UTF-8 text, trimmed,
// with single spaces, and the same answer twice.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"<p>质量</p>", "a<script>b", "<object><object>x</object>", "&amp;lt;", "<br/>x<hr>", "\xff<p>", "<!-- c -->d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := PlainText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("PlainText(%q) = %q: not valid UTF-8", s, got)
		}
		if strings.TrimSpace(got) != got || strings.Contains(got, "  ") {
			t.Fatalf("PlainText(%q) = %q: not trimmed to single spaces", s, got)
		}
		if again := PlainText(s); again != got {
			t.Fatalf("PlainText(%q) gave %q, then %q", s, got, again)
		}
	})
}
