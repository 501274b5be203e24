package classifier

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s as the classifier reads it:
//
//   - HTML tags, comments, scripts and styles removed, character references
//     decoded (block tags become line breaks, inline tags vanish);
//   - NFKC applied, so full-width letters, digits and punctuation are folded
//     to ASCII; ASCII lower-cased;
//   - traditional characters mapped to simplified ones, one character at a
//     time, with a table derived from OpenCC;
//   - inline pinyin annotations removed: a Han character followed by
//     parentheses holding only pinyin syllables with at least one tone mark
//     or tone digit, as in 質(zhì)量 or 質(zhi4)量; other parentheses, such as
//     (记者 朱文达) or (2023), stay;
//   - runs of white space collapsed to one space, or one line break when they
//     hold one; leading and trailing space trimmed; zero-width characters
//     dropped; invalid UTF-8 replaced by U+FFFD;
//   - the markup characters < > & replaced by look-alikes (‹ › ⅋).
//
// Normalize is idempotent, never panics and always returns valid UTF-8.
func Normalize(s string) string {
	n := normalizer{ct: charTables(), buf: make([]byte, 0, len(s)+len(s)/8)}
	n.run(stripMarkup(s))
	return string(n.buf)
}

// normalizer is the character pass of Normalize; it appends to buf.
type normalizer struct {
	ct      *charTable
	buf     []byte
	pending rune    // white space not yet written: 0, ' ' or '\n'
	segs    []int32 // where segments end (after 。!?; or a line break), if record
	record  bool
	base    int // where this text starts in buf: what is before belongs to another text
}

// run appends the normalised form of s, which holds no markup.
func (n *normalizer) run(s string) {
	chars := n.ct
	for i := 0; i < len(s); {
		// The common case: a run of runes that stay as they are (most Han
		// characters, ASCII letters and digits, CJK punctuation) is
		// copied in one piece.
		if j := copyable(&chars.copy, s, i); j > i {
			n.flush()
			n.buf = append(n.buf, s[i:j]...)
			i = j
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			n.emit(rune(chars.bmp[c] & runeMask))
			i++
			continue
		}
		// Full-width punctuation (，：（）) folds to plain ASCII: write it
		// without decoding again.
		if c&0xF0 == 0xE0 && i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			r := rune(c&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F)
			if e := chars.bmp[r]; r >= 0x800 && e&isFast != 0 {
				if v := e & runeMask; v < utf8.RuneSelf && chars.copy[v>>6]&(1<<(v&63)) != 0 {
					n.flush()
					n.buf = append(n.buf, byte(v))
					i += 3
					continue
				}
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x10000 {
			if e := chars.bmp[r]; e&isFast != 0 {
				n.emitFolded(e)
				i += size
				continue
			}
		}
		// A run of runes that need real NFKC work.
		j := i + size
		for j < len(s) {
			r2, size2 := utf8.DecodeRuneInString(s[j:])
			if r2 < 0x10000 && chars.bmp[r2]&isFast != 0 {
				break
			}
			j += size2
		}
		n.slow(s[i:j])
		i = j
	}
}

// copyable returns the end of the run of unchanged runes starting at s[i]:
// ASCII and three-byte runes whose table entry says isCopy.
func copyable(bits *[0x10000 / 64]uint64, s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if bits[c>>6]&(1<<(c&63)) == 0 {
				return i
			}
			i++
			continue
		}
		if c&0xF0 != 0xE0 || i+2 >= len(s) {
			return i
		}
		c1, c2 := s[i+1], s[i+2]
		if c1&0xC0 != 0x80 || c2&0xC0 != 0x80 {
			return i
		}
		r := uint32(c&0x0F)<<12 | uint32(c1&0x3F)<<6 | uint32(c2&0x3F)
		if r < 0x800 || bits[r>>6]&(1<<(r&63)) == 0 {
			return i
		}
		i += 3
	}
	return i
}

func (n *normalizer) emitFolded(e uint32) {
	v := rune(e & runeMask)
	if v == runeMask {
		return // dropped
	}
	n.emit(v)
}

// slow normalises a segment with NFKC. When the segment starts with a rune
// that combines with what precedes it, the last rune written is taken back
// and normalised with it.
func (n *normalizer) slow(seg string) {
	chars := n.ct
	first, _ := utf8.DecodeRuneInString(seg)
	if chars.entry(first)&boundaryBefore == 0 && n.pending == 0 && len(n.buf) > n.base {
		last, size := utf8.DecodeLastRune(n.buf)
		if last != ' ' && last != '\n' {
			prev := string(n.buf[len(n.buf)-size:])
			n.truncate(len(n.buf) - size)
			seg = prev + seg
		}
	}
	for _, r := range norm.NFKC.String(seg) {
		if r < 0x10000 {
			if e := chars.bmp[r]; e&isFast != 0 {
				n.emitFolded(e)
				continue
			}
		}
		if v := chars.fold(r); v != foldDrop {
			n.emit(v)
		}
	}
}

// emit writes one folded rune, collapsing white space and removing a pinyin
// annotation when its closing parenthesis arrives.
func (n *normalizer) emit(r rune) {
	switch r {
	case ' ':
		if n.pending == 0 && len(n.buf) > n.base {
			n.pending = ' '
		}
		return
	case '\n':
		if len(n.buf) > n.base {
			n.pending = '\n'
		}
		return
	}
	n.flush()
	n.buf = utf8.AppendRune(n.buf, r)
	switch r {
	case ')':
		if size := n.base + len(dropPinyin(n.buf[n.base:])); size < len(n.buf) {
			n.truncate(size)
		}
	case '。', '!', '?', ';':
		n.endSegment()
	}
}

// flush writes pending white space.
func (n *normalizer) flush() {
	if n.pending == 0 {
		return
	}
	n.buf = append(n.buf, byte(n.pending))
	if n.pending == '\n' {
		n.endSegment()
	}
	n.pending = 0
}

func (n *normalizer) endSegment() {
	if n.record {
		n.segs = append(n.segs, int32(len(n.buf)))
	}
}

// truncate shortens the output, forgetting segment ends past the new end.
func (n *normalizer) truncate(size int) {
	n.buf = n.buf[:size]
	for len(n.segs) > 0 && int(n.segs[len(n.segs)-1]) > size {
		n.segs = n.segs[:len(n.segs)-1]
	}
}
