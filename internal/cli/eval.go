package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// evalItem is one labelled line.
type evalItem struct {
	ID    json.RawMessage `json:"id"`
	Title string          `json:"title"`
	Text  string          `json:"text"`
	Label *int            `json:"label"`
}

// cmdEval measures the classifier on labelled JSON lines
// {"id","title","text","label"}: label 2 must match, 0 must not, 1 is not
// scored.
//
// With --titles the text is dropped: what a list-page source gives without
// its articles.
//
//	qualitywatch eval [--min-score X] [--vocabulary FILE [--extend]] [--titles] [-v] FILE.jsonl
func cmdEval(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "eval")
	verbose := fs.Bool("v", false, "list the items classified wrongly")
	titles := fs.Bool("titles", false, "classify the titles alone (the text dropped)")
	var cf classifierFlags
	cf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one FILE.jsonl", errUsage)
	}
	c, err := cf.classifier()
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	var conf classifier.Confusion
	w := bufio.NewWriter(env.Stdout)
	err = eachJSONLine(ctx, path, func(it evalItem) error {
		if it.Label == nil || *it.Label < 0 || *it.Label > 2 {
			return fmt.Errorf("item %s: want \"label\" 0, 1 or 2", it.ID)
		}
		in := classifier.Input{Title: it.Title, Text: it.Text}
		if *titles {
			in.Text = ""
		}
		v := c.Classify(in)
		conf.Add(*it.Label, v.Match)
		wrong := *it.Label == classifier.LabelMustFind && !v.Match || *it.Label == classifier.LabelMustNot && v.Match
		if wrong && *verbose {
			kind := "missed"
			if v.Match {
				kind = "false alarm"
			}
			fmt.Fprintf(w, "%-12s %s score %.3f %s\n", kind, it.ID, v.Score, it.Title)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "items      %d (%d scored, %d label 1 not scored)\n", conf.TP+conf.FP+conf.FN+conf.TN+conf.Unscored, conf.TP+conf.FP+conf.FN+conf.TN, conf.Unscored)
	fmt.Fprintf(w, "min score  %.3f\n", c.MinScore())
	fmt.Fprintf(w, "precision  %.3f\n", conf.Precision())
	fmt.Fprintf(w, "recall     %.3f\n", conf.Recall())
	fmt.Fprintf(w, "F1         %.3f\n", conf.F1())
	fmt.Fprintf(w, "confusion  tp %d  fp %d  fn %d  tn %d\n", conf.TP, conf.FP, conf.FN, conf.TN)
	return w.Flush()
}
