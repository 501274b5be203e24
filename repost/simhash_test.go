package repost

import (
	"hash/fnv"
	"strings"
	"testing"
	"unicode"
)

// TestSimhashUnchanged: the inline SimHash gives what hash/fnv gave, so
// prints stored before it still compare.
func TestSimhashUnchanged(t *testing.T) {
	ref := func(s string) uint64 {
		r := []rune(s)
		var v [64]int
		h := fnv.New64a()
		n := 0
		for i := 0; i+3 <= len(r); i++ {
			h.Reset()
			_, _ = h.Write([]byte(string(r[i : i+3])))
			x := h.Sum64()
			for b := range 64 {
				if x&(1<<b) != 0 {
					v[b]++
				} else {
					v[b]--
				}
			}
			n++
		}
		if n == 0 {
			h.Reset()
			_, _ = h.Write([]byte(s))
			return h.Sum64()
		}
		var out uint64
		for b := range 64 {
			if v[b] > 0 {
				out |= 1 << b
			}
		}
		return out
	}
	var long []rune
	x := uint32(1)
	for range 5000 {
		x = x*1664525 + 1013904223
		long = append(long, rune(0x4e00+x>>16%500))
	}
	for _, s := range []string{string(long), "", "a", "ab", "abc", "质量", "质量月", "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告", "mixed 质量 text 123 ✓", "\xff\xfe bad bytes", strings.Repeat("质量强市抽检召回标准化计量认证", 300)} {
		if got, want := simhash(s), ref(s); got != want {
			t.Errorf("simhash(%q) = %x, want %x", s, got, want)
		}
	}
}

// TestKeepAsTables: squeeze's fast paths decide every rune as the Unicode
// tables do.
func TestKeepAsTables(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := rune(-1)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			want = unicode.ToLower(r)
		}
		if got := keep(r); got != want {
			t.Fatalf("keep(%U) = %U, want %U", r, got, want)
		}
	}
}
