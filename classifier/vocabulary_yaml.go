package classifier

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// YAML returns the vocabulary in the format ParseVocabulary reads: the
// display names of its categories, its categories in the order first
// defined, each term with its weight, then the context terms and the
// variants. Parsing the output gives the same vocabulary back.
func (v *Vocabulary) YAML() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# vocabulary: %s (%d terms, %d context terms)\n", v.name, len(v.terms), len(v.context))
	var cats []string
	byCat := map[string][]VocabTerm{}
	for _, t := range v.terms {
		if _, ok := byCat[t.Category]; !ok {
			cats = append(cats, t.Category)
		}
		byCat[t.Category] = append(byCat[t.Category], t)
	}
	if len(v.names) > 0 {
		b.WriteString("names:\n")
		for _, c := range cats {
			if n, ok := v.names[c]; ok {
				fmt.Fprintf(&b, "  %s: {zh: %s, en: %s}\n", c, yamlKey(n.ZH), yamlKey(n.EN))
			}
		}
	}
	b.WriteString("categories:\n")
	for _, c := range cats {
		fmt.Fprintf(&b, "  %s:\n", c)
		for _, t := range byCat[c] {
			fmt.Fprintf(&b, "    %s: %s\n", yamlKey(t.Term), strconv.FormatFloat(t.Weight, 'g', -1, 64))
		}
	}
	if len(v.context) > 0 {
		b.WriteString("context:\n")
		for _, c := range v.context {
			fmt.Fprintf(&b, "  - %s\n", yamlKey(c))
		}
	}
	if len(v.variants) > 0 {
		b.WriteString("variants:\n")
		for _, va := range v.variants {
			fmt.Fprintf(&b, "  %s: %s\n", yamlKey(va[0]), yamlKey(va[1]))
		}
	}
	return b.Bytes()
}

// yamlKey quotes s when YAML would not read it back as the same string.
func yamlKey(s string) string {
	plain := s != "" && !strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n\t") &&
		!strings.ContainsAny(s[:1], "-?~ ") && !strings.HasSuffix(s, " ")
	if plain {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			plain = false
		}
		switch strings.ToLower(s) {
		case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
			plain = false
		}
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}
