package classifier

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"pinyin tone marks", "質(zhì)量強(qiáng)市", "质量强市"},
		{"pinyin two syllables", "檢驗(jiǎn yàn)檢測", "检验检测"},
		{"pinyin tone digit", "質(zhi4)量", "质量"},
		{"full-width parens pinyin", "質（zhì）量", "质量"},
		{"reporter parens stay", "本報訊 (記者 朱文達)2月20日", "本报讯 (记者 朱文达)2月20日"},
		{"year parens stay", "标准(2023)", "标准(2023)"},
		{"latin parens stay", "认证(iso)", "认证(iso)"},
		{"untoned latin stays", "山东(shandong)", "山东(shandong)"},
		{"pinyin after latin stays", "abc(zhì)", "abc(zhì)"},
		{"full-width folded", "ＡＢＣ１２３，质量", "abc123,质量"},
		{"ideographic space", "质量\u3000月", "质量 月"},
		{"traditional", "濰坊質量品牌建設", "潍坊质量品牌建设"},
		{"html inline", "质<b>量</b>强市", "质量强市"},
		{"html block", "<p>第一段</p><p>第二段</p>", "第一段\n第二段"},
		{"html script", "a<script>var x = '<b>';</script>b", "a\nb"},
		{"entities", "质量&nbsp;月&ldquo;好&rdquo;&#36074;", "质量 月“好”质"},
		{"markup look-alikes", "a < b & c > d", "a ‹ b ⅋ c › d"},
		{"whitespace", "  a \t b \n\n c  ", "a b\nc"},
		{"zero width", "质\u200b量", "质量"},
		{"combining after fold", "ｅ\u0301", "é"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"質(zhì)量", "<<b>b>", "&&#97;mp;", "&amp;lt;", "e\u0301", "ｅ\u200b\u0301",
		"質(zh(zhì)ì)", "＜b＞", "&#xFF41;", "&&#xFF41;mp;", "(質(zhì))", "\u1100\u1161",
		"Ｅ\u0301", "质<b></b>(zhì)", " \u0301", "a\n \n\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Normalize(s)
		if !utf8.ValidString(once) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		if twice := Normalize(once); twice != once {
			t.Fatalf("not idempotent for %q:\n once %q\ntwice %q", s, once, twice)
		}
		if strings.ContainsAny(once, "<>&") {
			t.Fatalf("markup left in %q", once)
		}
	})
}
