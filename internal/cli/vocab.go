package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// cmdVocab prints the vocabulary in force, or suggests terms.
//
//	qualitywatch vocab [--vocabulary FILE] [--extend]
//	qualitywatch vocab suggest --positive FILE [--positive FILE ...] --background FILE.jsonl [--top N] [FILE...]
func cmdVocab(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "suggest" {
		return cmdVocabSuggest(ctx, env, args[1:])
	}
	fs := newFlags(env, "vocab")
	var cf classifierFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (did you mean vocab suggest?)", errUsage, fs.Arg(0))
	}
	v, err := cf.vocab()
	if err != nil {
		return err
	}
	_, err = env.Stdout.Write(v.YAML())
	return err
}

// stringsFlag is a flag that may be given several times.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

var _ flag.Value = (*stringsFlag)(nil)

// cmdVocabSuggest proposes terms that distinguish the user's positive
// examples from background news. A positive file is either text (first line
// the title) or, when it ends in .jsonl, JSON lines with "title" and "text".
func cmdVocabSuggest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "vocab suggest")
	var positives stringsFlag
	fs.Var(&positives, "positive", "a `FILE` of announcements you care about (repeatable; more files may follow the flags)")
	background := fs.String("background", "", "JSON lines `FILE` of ordinary news to contrast with")
	top := fs.Int("top", 40, "how many terms to propose")
	minDocs := fs.Int("min-docs", 2, "propose only terms found in at least this many positive documents")
	minZ := fs.Float64("min-z", 3, "propose only terms with at least this log-odds z-score")
	var cf classifierFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	positives = append(positives, fs.Args()...)
	if len(positives) == 0 || *background == "" {
		return fmt.Errorf("%w: need --positive FILE... and --background FILE.jsonl", errUsage)
	}
	v, err := cf.vocab()
	if err != nil {
		return err
	}
	pos := classifier.NewNgramCounts()
	for _, name := range positives {
		if err := addPositive(env, pos, name); err != nil {
			return err
		}
	}
	bg := classifier.NewBackgroundCounts(pos)
	if err := eachJSONLine(ctx, *background, func(it jsonlItem) error {
		bg.Add(classifier.Input{Title: it.Title, Text: it.Text})
		return nil
	}); err != nil {
		return err
	}
	if bg.Docs() == 0 {
		return fmt.Errorf("%s: no documents", *background)
	}
	w := bufio.NewWriter(env.Stdout)
	fmt.Fprintf(w, "# %d positive and %d background documents; log-odds z-score, documents containing the term\n", pos.Docs(), bg.Docs())
	fmt.Fprintf(w, "# %-10s %7s %9s %11s  %s\n", "term", "z", "positive", "background", "in vocabulary")
	for _, s := range classifier.Suggest(pos, bg, v, *top, *minDocs, *minZ) {
		known := s.Known
		if known == "" {
			known = "-"
		}
		fmt.Fprintf(w, "  %-10s %7.2f %9d %11d  %s\n", s.Term, s.Z, s.Positive, s.Background, known)
	}
	return w.Flush()
}

func addPositive(env *Env, pos *classifier.NgramCounts, name string) error {
	if strings.HasSuffix(name, ".jsonl") {
		return eachJSONLine(context.Background(), name, func(it jsonlItem) error {
			pos.Add(classifier.Input{Title: it.Title, Text: it.Text})
			return nil
		})
	}
	in, err := readInput(env, name)
	if err != nil {
		return err
	}
	pos.Add(in)
	return nil
}

// eachJSONLine calls fn for every JSON line of a file; a bad line is an
// error naming the file and line.
func eachJSONLine[T any](ctx context.Context, path string, fn func(T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	lr := &lineReader{r: bufio.NewReaderSize(f, 1<<20)}
	for {
		line, tooLong, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if tooLong {
			return fmt.Errorf("%s:%d: line longer than %d MiB", path, lr.n, maxLine>>20)
		}
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var it T
		if err := json.Unmarshal(line, &it); err != nil {
			return fmt.Errorf("%s:%d: %w", path, lr.n, err)
		}
		if err := fn(it); err != nil {
			return fmt.Errorf("%s:%d: %w", path, lr.n, err)
		}
	}
}
