// Package repost tells when two notices are the same notice published
// twice: the province's sampling notice reposted by a city bureau with
// "转发：" in front, and again by a district with its own boilerplate. It is
// pure and deterministic; the router keeps the index of recent alerts.
//
// A notice is reduced to a Print:
//
//  1. its title, normalised (traditional to simplified, full-width to
//     half-width, pinyin notes dropped) and stripped of repost prefixes
//     (转发：, 转载, 【…】, [转]) and of white space and punctuation;
//  2. the numbers in its title (第5期, 2026年, 12批次): notices that differ
//     only in an issue number are different notices;
//  3. a 64-bit SimHash of the character 3-grams of its title and text.
//
// Two prints are the same notice when their title numbers are equal and
// either their stripped titles are equal (and, when both texts are long
// enough to compare, their SimHashes at most SameTitleDistance bits apart),
// or, with different titles, both texts are long (Long) and their SimHashes
// at most MaxDistance bits apart.
// Precision matters more than recall: a missed repost is one extra alert; a
// false merge is a lost one.
package repost

import (
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// MaxDistance is the most SimHash bits by which two notices with different
// titles may differ and still be one notice; SameTitleDistance, the most for
// two with the same title (a repost's boilerplate moves its SimHash by 5 to
// 10 bits; unrelated texts differ by about 32).
const (
	MaxDistance       = 3
	SameTitleDistance = 16
)

// Long is the number of characters of normalised text from which texts are
// compared; shorter items (a list page's title alone) must have equal
// titles.
const Long = 120

// Print is what a notice is compared by.
type Print struct {
	Title   string   `json:"title"`   // normalised and stripped
	Numbers []string `json:"numbers"` // in the title, in order
	Sim     uint64   `json:"sim"`     // SimHash of title and text
	Chars   int      `json:"chars"`   // normalised characters of text
}

// prefixes are what reposting sites put before a title.
var prefixes = regexp.MustCompile(`^(?:\s*(?:转发|转载|转|转自|摘自|来源|重要|通知|公告|最新)\s*[：:]?\s*|\s*[【\[（(][^】\]）)]{0,12}[】\]）)]\s*)+`)

var numbers = regexp.MustCompile(`\d+(?:\.\d+)?`)

// Of computes the print of a notice.
func Of(title, text string) Print {
	t := classifier.Normalize(title)
	t = prefixes.ReplaceAllString(t, "")
	p := Print{Title: squeeze(t), Numbers: numbers.FindAllString(t, -1)}
	body := squeeze(classifier.Normalize(text))
	p.Chars = len([]rune(body))
	p.Sim = simhash(p.Title + body)
	return p
}

// squeeze keeps letters and digits: white space, punctuation and symbols
// are what reposts change.
func squeeze(s string) string { return strings.Map(keep, s) }

// keep is squeeze's mapping: r lower-cased when it is a letter or a digit,
// else -1 (dropped). ASCII and the CJK Unified Ideographs, nearly all of a
// notice, are decided without the Unicode tables.
func keep(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	case 0x4e00 <= r && r <= 0x9fff: // all letters (Lo), without case
		return r
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return unicode.ToLower(r)
	}
	return -1
}

// simhash is the 64-bit SimHash of the character 3-grams of s, each gram
// hashed with 64-bit FNV-1a over its UTF-8 bytes. It runs over the text of
// every alerted item, so the bits are counted a byte at a time: each byte
// of a gram's hash adds eight one-byte counters at once (spread), which are
// emptied into the totals before they can overflow.
func simhash(s string) uint64 {
	n := utf8.RuneCountInString(s)
	if n < 3 {
		return fnv1a(s)
	}
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // each invalid byte a U+FFFD, as a rune slice has it
	}
	table := spread()
	var counts [64]int
	var acc [8]uint64 // acc[j], byte i: grams so far with bit 8j+i set
	flush := func() {
		for j, a := range acc {
			for i := range 8 {
				counts[8*j+i] += int(a >> (8 * i) & 0xff)
			}
		}
		acc = [8]uint64{}
	}
	// A gram is the UTF-8 bytes of three runes in a row: in valid UTF-8,
	// the text from the first one's start to the third one's end.
	_, w := utf8.DecodeRuneInString(s)
	p0, p1 := 0, w
	_, w = utf8.DecodeRuneInString(s[p1:])
	p2 := p1 + w
	grams, pending := 0, 0
	for p2 < len(s) {
		_, w := utf8.DecodeRuneInString(s[p2:])
		end := p2 + w
		x := fnv1a(s[p0:end])
		for j := range acc {
			acc[j] += table[byte(x>>(8*j))]
		}
		grams++
		if pending++; pending == 255 {
			flush()
			pending = 0
		}
		p0, p1, p2 = p1, p2, end
	}
	flush()
	var out uint64
	for b, c := range counts {
		if 2*c > grams { // more grams with the bit set than without
			out |= 1 << b
		}
	}
	return out
}

// spread maps a byte to eight one-byte counters, counter i holding bit i.
var spread = sync.OnceValue(func() *[256]uint64 {
	var t [256]uint64
	for b := range 256 {
		for i := range 8 {
			if b>>i&1 != 0 {
				t[b] |= 1 << (8 * i)
			}
		}
	}
	return &t
})

// fnv1a is the 64-bit FNV-1a hash of b (as hash/fnv's New64a computes it).
func fnv1a(b string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := range len(b) {
		h ^= uint64(b[i])
		h *= prime
	}
	return h
}

// Distance is the number of bits two SimHashes differ by.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Same reports whether two prints are the same notice.
func Same(a, b Print) bool {
	if !slices.Equal(a.Numbers, b.Numbers) || a.Title == "" || b.Title == "" {
		return false
	}
	return similar(a.Title == b.Title, a.Chars, b.Chars, a.Sim, b.Sim)
}

// similar is Same once the numbers are known equal and both titles
// non-empty.
func similar(sameTitle bool, aChars, bChars int, aSim, bSim uint64) bool {
	long := aChars >= Long && bChars >= Long
	if sameTitle {
		return !long || Distance(aSim, bSim) <= SameTitleDistance
	}
	return long && Distance(aSim, bSim) <= MaxDistance
}

// Key is a print in fixed size, for an index that holds many: its numbers
// and title as 64-bit hashes. SameKey on two keys is Same on their prints,
// but for hash collisions (one in 2^64 per pair): an index confirms a
// match with Same on the whole prints.
type Key struct {
	Numbers uint64 // hash of the numbers, in order
	Title   uint64 // hash of the title; 0: no title
	Sim     uint64
	Chars   int32
}

// Key returns p's key.
func (p Print) Key() Key {
	k := Key{Numbers: NumbersHash(p.Numbers), Sim: p.Sim, Chars: int32(min(p.Chars, 1<<31-1))}
	if p.Title != "" {
		k.Title = fnv1a(p.Title) | 1 // never 0
	}
	return k
}

// NumbersHash is the hash of a title's numbers, Key's Numbers.
func NumbersHash(numbers []string) uint64 {
	return fnv1a(strings.Join(numbers, " ")) // digits and dots: the space is unambiguous
}

// SameKey reports whether the prints of two keys are the same notice (see
// Key).
func SameKey(a, b Key) bool {
	if a.Numbers != b.Numbers || a.Title == 0 || b.Title == 0 {
		return false
	}
	return similar(a.Title == b.Title, int(a.Chars), int(b.Chars), a.Sim, b.Sim)
}

// correction matches the words that make a notice a correction or a
// withdrawal of an earlier one.
var correction = regexp.MustCompile(`更正|勘误|撤销|撤回|作废|废止`)

// Corrects reports whether a notice's title announces a correction or a
// withdrawal, and returns the title with those words taken out, to look the
// earlier notice up by.
func Corrects(title string) (rest string, ok bool) {
	t := classifier.Normalize(title)
	if !correction.MatchString(t) {
		return "", false
	}
	t = correction.ReplaceAllString(t, "")
	for _, w := range []string{"关于", "的公告", "的通告", "的通知", "的声明", "公告", "通告", "通知", "声明"} {
		t = strings.ReplaceAll(t, w, "")
	}
	return squeeze(t), true
}

// Refers reports whether a correction's remaining title (see Corrects)
// names the notice with the print p: its stripped title contains it, or
// the other way round, with at least 8 characters in common.
func Refers(rest string, p Print) bool {
	core := p.Title
	for _, w := range []string{"关于", "的公告", "的通告", "的通知", "公告", "通告", "通知"} {
		core = strings.ReplaceAll(core, w, "")
	}
	if len([]rune(rest)) < 8 || len([]rune(core)) < 8 {
		return false
	}
	return strings.Contains(rest, core) || strings.Contains(core, rest)
}
