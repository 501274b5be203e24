package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/qualitywatch/qualitywatch/classifier"
	"golang.org/x/text/width"
)

// classifierFlags are the flags that choose the classifier: a vocabulary
// file that replaces (or with --extend, extends) the embedded one, and the
// threshold.
type classifierFlags struct {
	vocabulary string
	extend     bool
	minScore   float64
}

func (cf *classifierFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&cf.vocabulary, "vocabulary", "", "vocabulary `FILE` replacing the embedded one")
	fs.BoolVar(&cf.extend, "extend", false, "extend the embedded vocabulary with --vocabulary instead of replacing it")
	fs.Float64Var(&cf.minScore, "min-score", 0, "score from which an item matches, in (0, 1]; 0 = the default")
}

// vocab returns the vocabulary the flags ask for.
func (cf *classifierFlags) vocab() (*classifier.Vocabulary, error) {
	if cf.vocabulary == "" {
		if cf.extend {
			return nil, fmt.Errorf("%w: --extend needs --vocabulary FILE", errUsage)
		}
		return classifier.DefaultVocabulary(), nil
	}
	v, err := classifier.LoadVocabulary(cf.vocabulary)
	if err != nil {
		return nil, err
	}
	if cf.extend {
		v = classifier.DefaultVocabulary().Extend(v)
	}
	return v, nil
}

// classifier returns the classifier the flags ask for.
func (cf *classifierFlags) classifier() (*classifier.Classifier, error) {
	if cf.minScore < 0 || cf.minScore > 1 {
		return nil, fmt.Errorf("%w: --min-score %v is not between 0 and 1", errUsage, cf.minScore)
	}
	v, err := cf.vocab()
	if err != nil {
		return nil, err
	}
	return classifier.New(classifier.Options{Vocabulary: v, MinScore: cf.minScore})
}

// cmdClassify classifies text.
//
//	qualitywatch classify [--json] [FILE...]   files, or stdin; the first line is the title
//	qualitywatch classify --jsonl              JSON lines {"id","title","text"} on stdin
//
// With --jsonl each input line gives one output line, in the same order: the
// verdict with "id" added (copied as given). A line that is not a JSON
// object gives {"id": ..., "line": N, "error": "..."} in its place and the
// rest is still classified; the command then exits 1. Blank lines are
// skipped. Input is streamed: memory stays constant whatever its size.
func cmdClassify(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "classify")
	asJSON := fs.Bool("json", false, "print each verdict as one JSON object")
	asJSONL := fs.Bool("jsonl", false, `read JSON lines {"id","title","text"} on stdin, write one verdict per line`)
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "classify this many lines at once with --jsonl")
	var cf classifierFlags
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: qualitywatch classify [--json] [flags] [FILE...]
       qualitywatch classify --jsonl [flags] < items.jsonl

Classifies text from each FILE, or standard input. The first line is the
title, the rest the body. Prints the verdict for a person, or with --json one
JSON object per input.

With --jsonl, reads JSON lines {"id","title","text"} and writes one verdict
per line, in the same order, with "id" copied. A line that cannot be read
gives {"id":...,"line":N,"error":"..."} in its place; the others are still
classified, and the command then exits 1.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := cf.classifier()
	if err != nil {
		return err
	}
	if *asJSONL {
		if fs.NArg() > 0 {
			return fmt.Errorf("%w: --jsonl reads standard input, not files", errUsage)
		}
		return classifyJSONL(ctx, c, env.Stdin, env.Stdout, max(1, *workers))
	}
	inputs := fs.Args()
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	w := bufio.NewWriter(env.Stdout)
	for i, name := range inputs {
		in, err := readInput(env, name)
		if err != nil {
			return err
		}
		v := c.Classify(in)
		if *asJSON {
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			w.Write(append(b, '\n'))
			continue
		}
		if len(inputs) > 1 {
			if i > 0 {
				w.WriteByte('\n')
			}
			fmt.Fprintf(w, "== %s\n", name)
		}
		writeVerdict(w, v)
	}
	return w.Flush()
}

// readInput reads a file ("-" is stdin) as a title line and a body.
func readInput(env *Env, name string) (classifier.Input, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(env.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return classifier.Input{}, fmt.Errorf("read %s: %w", name, err)
	}
	title, text, _ := strings.Cut(strings.TrimLeft(string(data), "\ufeff\r\n\t "), "\n")
	return classifier.Input{Title: strings.TrimSpace(title), Text: text}, nil
}

// writeVerdict prints a verdict for a person.
func writeVerdict(w io.Writer, v classifier.Verdict) {
	answer := "no match"
	if v.Match {
		answer = "MATCH"
	}
	fmt.Fprintf(w, "%s  score %.3f\n", answer, v.Score)
	fmt.Fprintf(w, "categories: %s\n", listOrNone(v.Categories))
	fmt.Fprintf(w, "regions:    %s\n", listOrNone(v.Regions))
	if len(v.Terms) == 0 {
		fmt.Fprintln(w, "terms:      none")
		return
	}
	fmt.Fprintln(w, "terms:")
	for _, t := range v.Terms {
		fmt.Fprintf(w, "  %s %-14s ×%d\n", padRight(t.Term, 14), t.Category, t.Count)
	}
}

// padRight pads s with spaces to n terminal columns, counting wide (CJK)
// characters as two.
func padRight(s string, n int) string {
	cols := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			cols += 2
		default:
			cols++
		}
	}
	if cols >= n {
		return s
	}
	return s + strings.Repeat(" ", n-cols)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// errBadLines reports that some --jsonl lines could not be read.
var errBadLines = errors.New("bad input lines")

// jsonlItem is one input line of classify --jsonl.
type jsonlItem struct {
	ID    json.RawMessage `json:"id"`
	Title string          `json:"title"`
	Text  string          `json:"text"`
}

// jsonlError takes the place of a line that could not be read.
type jsonlError struct {
	ID    json.RawMessage `json:"id"`
	Line  int             `json:"line"`
	Error string          `json:"error"`
}

// classifyLine turns one input line into one output line.
func classifyLine(c *classifier.Classifier, n int, line []byte) ([]byte, bool) {
	it, ok := decodeItemFast(line)
	if !ok {
		var err error
		if it, err = decodeItemSlow(line); err != nil {
			id := it.ID
			if id == nil {
				id = json.RawMessage("null")
			}
			b, _ := json.Marshal(jsonlError{ID: id, Line: n, Error: err.Error()})
			return append(b, '\n'), false
		}
	}
	if it.ID == nil {
		it.ID = json.RawMessage("null")
	}
	return appendVerdictJSON(nil, it.ID, c.Classify(classifier.Input{Title: it.Title, Text: it.Text})), true
}

// decodeItemSlow decodes a line with encoding/json; it is the reference for
// what decodeItemFast accepts, and gives the errors.
func decodeItemSlow(line []byte) (jsonlItem, error) {
	var it jsonlItem
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		var v any
		if err := json.Unmarshal(trimmed, &v); err != nil {
			return it, err
		}
		return it, errors.New("not a JSON object")
	}
	if err := json.Unmarshal(line, &it); err != nil {
		return jsonlItem{}, err
	}
	if len(it.ID) > 0 && it.ID[0] != '"' && !bytes.Equal(it.ID, []byte("null")) {
		if _, err := strconv.ParseFloat(string(it.ID), 64); err != nil {
			return jsonlItem{}, fmt.Errorf("id %s: want a string or a number", it.ID)
		}
	}
	return it, nil
}
