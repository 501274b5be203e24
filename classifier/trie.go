package classifier

import (
	"slices"
	"unicode/utf8"
)

// trie finds leftmost-longest, non-overlapping matches of a set of patterns
// in normalised text: at each rune boundary, from left to right, it follows
// the longest pattern starting there; after a match it goes on from the
// match's end. This is exactly the match sequence of a leftmost-longest
// Aho-Corasick automaton (TestTrieMatchesAhoCorasick checks it against
// github.com/petar-dambovaliev/aho-corasick on real news), and on Chinese
// text it is about 1.2 to 1.3 times as fast as that library's DFA: most runes
// are rejected by one bit test, and it steps by rune, not by byte.
//
// Runes are first mapped to classes (0 = in no pattern); the root has a
// dense transition table, other nodes a short sorted list of children.
type trie struct {
	start   [0x10000 / 64]uint64 // BMP runes that start a pattern, for the hot loop
	class   [0x10000]uint16      // BMP rune -> class; 0: in no pattern
	classHi map[rune]uint16      // classes of runes outside the BMP
	root    []int32              // class -> child node of the root, or 0
	first   []int32              // node -> index of its first child in kids
	nkids   []uint16             // node -> number of children
	kids    []trieKid            // children of all nodes, each node's sorted by class
	accept  []int32              // node -> pattern that ends here, or -1
}

type trieKid struct {
	class uint16
	node  int32
}

// buildTrie builds the trie for patterns (valid UTF-8, non-empty).
func buildTrie(patterns []string) *trie {
	t := &trie{classHi: map[rune]uint16{}}
	classOf := func(r rune) uint16 {
		if r < 0x10000 {
			if t.class[r] == 0 {
				t.class[r] = uint16(len(t.root) + 1)
				t.root = append(t.root, 0)
			}
			return t.class[r]
		}
		c, ok := t.classHi[r]
		if !ok {
			c = uint16(len(t.root) + 1)
			t.classHi[r] = c
			t.root = append(t.root, 0)
		}
		return c
	}
	// Build with maps, then freeze into arrays.
	children := []map[uint16]int32{{}} // node 0 is the root
	accept := []int32{-1}
	for pi, p := range patterns {
		if r, _ := utf8.DecodeRuneInString(p); r < 0x10000 {
			t.start[r/64] |= 1 << (r % 64)
		}
		node := int32(0)
		for _, r := range p {
			c := classOf(r)
			next, ok := children[node][c]
			if !ok {
				next = int32(len(children))
				children = append(children, map[uint16]int32{})
				accept = append(accept, -1)
				children[node][c] = next
			}
			node = next
		}
		if accept[node] < 0 {
			accept[node] = int32(pi)
		}
	}
	t.root = make([]int32, len(t.root)+1)
	for c, n := range children[0] {
		t.root[c] = n
	}
	t.first = make([]int32, len(children))
	t.nkids = make([]uint16, len(children))
	for node, m := range children {
		t.first[node] = int32(len(t.kids))
		t.nkids[node] = uint16(len(m))
		start := len(t.kids)
		for c, n := range m {
			t.kids = append(t.kids, trieKid{c, n})
		}
		slices.SortFunc(t.kids[start:], func(a, b trieKid) int { return int(a.class) - int(b.class) })
	}
	t.accept = accept
	return t
}

// runeClass decodes the rune at text[i] and returns its class and size.
func (t *trie) runeClass(text []byte, i int) (uint16, int) {
	c := text[i]
	if c < utf8.RuneSelf {
		return t.class[c], 1
	}
	if c&0xF0 == 0xE0 && i+2 < len(text) {
		r := rune(c&0x0F)<<12 | rune(text[i+1]&0x3F)<<6 | rune(text[i+2]&0x3F)
		return t.class[r], 3
	}
	r, size := utf8.DecodeRune(text[i:])
	if r < 0x10000 {
		return t.class[r], size
	}
	return t.classHi[r], size
}

// scan calls fn for each leftmost-longest non-overlapping match in text,
// which must be valid UTF-8.
func (t *trie) scan(text []byte, fn func(pattern int32, start int)) {
	n := len(text)
	for i := 0; i < n; {
		// The hot loop: decode ASCII and three-byte runes inline and skip
		// those that start no pattern with one bit test.
		c := text[i]
		var class uint16
		size := 1
		switch {
		case c < utf8.RuneSelf:
			if t.start[c>>6]&(1<<(c&63)) == 0 {
				i++
				continue
			}
			class = t.class[c]
		case c&0xF0 == 0xE0 && i+2 < n:
			r := uint32(c&0x0F)<<12 | uint32(text[i+1]&0x3F)<<6 | uint32(text[i+2]&0x3F)
			if t.start[r>>6]&(1<<(r&63)) == 0 {
				i += 3
				continue
			}
			class, size = t.class[r], 3
		default:
			class, size = t.runeClass(text, i)
		}
		node := t.root[class]
		if node == 0 {
			i += size
			continue
		}
		best, bestEnd := t.accept[node], i+size
		for j := i + size; j < n && t.nkids[node] > 0; {
			var c uint16
			sz := 3
			if b := text[j]; b&0xF0 == 0xE0 && j+2 < n {
				c = t.class[uint32(b&0x0F)<<12|uint32(text[j+1]&0x3F)<<6|uint32(text[j+2]&0x3F)]
			} else {
				c, sz = t.runeClass(text, j)
			}
			if c == 0 {
				break
			}
			next := int32(0)
			for _, k := range t.kids[t.first[node] : t.first[node]+int32(t.nkids[node])] {
				if k.class >= c {
					if k.class == c {
						next = k.node
					}
					break
				}
			}
			if next == 0 {
				break
			}
			node = next
			j += sz
			if a := t.accept[node]; a >= 0 {
				best, bestEnd = a, j
			}
		}
		if best >= 0 {
			fn(best, i)
			i = bestEnd
			continue
		}
		i += size
	}
}
