package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/cookiejar"
	"time"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/listpage"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// cmdSource groups the commands about sources: probe.
func cmdSource(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "probe" {
		return fmt.Errorf("%w: qualitywatch source probe [--json] [--no-detail] URL", errUsage)
	}
	return cmdProbe(ctx, env, args[1:])
}

// probeResult is what `source probe --json` prints.
type probeResult struct {
	listpage.Proposal
	Name   string                 `json:"name"`
	Detail *listpage.DetailSelect `json:"detail,omitempty"`
	// DetailPreview is what the detail block reads on the first entry.
	DetailPreview *detailPreview `json:"detail_preview,omitempty"`
}

type detailPreview struct {
	URL       string `json:"url"`
	Title     string `json:"title,omitempty"`
	Published string `json:"published,omitempty"`
	Text      string `json:"text"`
}

// cmdProbe fetches a list page, recognises its CMS family, proposes a
// source for it and previews the entries that source yields.
func cmdProbe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "source probe")
	var asJSON, noDetail, insecure bool
	var tz, charset string
	var timeout time.Duration
	fs.BoolVar(&asJSON, "json", false, "print the proposal and its entries as one JSON object")
	fs.BoolVar(&noDetail, "no-detail", false, "do not fetch the first entry's page to propose a detail block")
	fs.BoolVar(&insecure, "insecure-tls", false, "accept any TLS certificate")
	fs.StringVar(&tz, "timezone", config.DefaultTimezone, "zone of dates that name none")
	fs.StringVar(&charset, "charset", "", "override the page's charset (gbk, big5, utf-8)")
	fs.DurationVar(&timeout, "timeout", config.DefaultFetchTimout, "per request")
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: qualitywatch source probe [--json] URL: give one URL", errUsage)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return fmt.Errorf("%w: --timezone: %v", errUsage, err)
	}
	jar, _ := cookiejar.New(nil)
	f := &watcher.Fetcher{
		Client:  watcher.NewClient(watcher.ClientOptions{InsecureTLS: insecure, Jar: jar}),
		Timeout: timeout, Accept: watcher.PageAccept,
	}
	opts := listpage.Options{Location: loc, Now: time.Now()}
	get := func(u string) ([]byte, string, error) {
		resp, err := f.Fetch(ctx, u, watcher.Validators{})
		if err != nil {
			return nil, "", err
		}
		ct := resp.ContentType
		if charset != "" {
			ct = "text/plain; charset=" + charset
		}
		body, _, err := watcher.DecodeUTF8(resp.Body, ct)
		if err == nil && watcher.IsChallenge(resp.Status, body) {
			err = &watcher.ChallengeError{URL: u}
		}
		return body, resp.FinalURL, err
	}
	body, final, err := get(pos[0])
	if err != nil {
		return err
	}
	prop, err := listpage.Probe(body, final, opts)
	if err == nil && len(prop.Follow) > 0 {
		prop, err = probeFollow(prop, get, opts)
	}
	if err != nil {
		return err
	}
	res := probeResult{Proposal: prop, Name: listpage.SuggestName(pos[0])}
	if !noDetail && len(prop.Entries) > 0 {
		link := prop.Entries[0].Link
		if dbody, dfinal, err := get(link); err != nil {
			res.Notes = append(res.Notes, "detail page: "+err.Error())
		} else if d, det, err := listpage.ProbeDetail(dbody, dfinal, opts); err != nil {
			res.Notes = append(res.Notes, "detail page: "+err.Error())
		} else {
			res.Detail = &d
			res.DetailPreview = &detailPreview{URL: link, Title: det.Title, Text: watcher.PlainText(det.BodyHTML)}
			if !det.Date.IsZero() {
				res.DetailPreview.Published = det.Date.Format(time.RFC3339)
			}
		}
	}
	if asJSON {
		if res.Entries == nil {
			res.Entries = []listpage.Entry{}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printProbe(env.Stdout, res, loc)
	return nil
}

// probeFollow probes each data endpoint a shell page names and keeps the
// one with the most entries: a jpaas page often has a side list too.
func probeFollow(shell listpage.Proposal, get func(string) ([]byte, string, error), opts listpage.Options) (listpage.Proposal, error) {
	var best listpage.Proposal
	var errs []error
	found := false
	for _, u := range shell.Follow {
		body, final, err := get(u)
		if err != nil {
			errs = append(errs, fmt.Errorf("data endpoint %s: %w", u, err))
			continue
		}
		p, err := listpage.Probe(body, final, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("data endpoint %s: %w", u, err))
			continue
		}
		if !found || len(p.Entries) > len(best.Entries) {
			best, found = p, true
		}
	}
	if !found {
		return shell, errors.Join(errs...)
	}
	best.Notes = append(shell.Notes, best.Notes...)
	if n := len(shell.Follow); n > 1 {
		best.Notes = append(best.Notes, fmt.Sprintf("the page loads %d lists; this is the longest", n))
	}
	return best, nil
}

func printProbe(w io.Writer, r probeResult, loc *time.Location) {
	fmt.Fprintf(w, "page:    %s\nfamily:  %s\n", r.URL, r.Family)
	if r.Paging != "" {
		fmt.Fprintf(w, "paging:  %s\n", r.Paging)
	}
	fmt.Fprintf(w, "entries: %d\n", len(r.Entries))
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note:    %s\n", n)
	}
	fmt.Fprintln(w)
	for _, e := range r.Entries {
		date := "(no date)       "
		if !e.Date.IsZero() {
			date = e.Date.In(loc).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "  %s  %s\n  %16s  %s\n", date, cut(e.Title, 60), "", e.Link)
	}
	if r.DetailPreview != nil {
		fmt.Fprintf(w, "\nfirst entry's page: %s\n  title:     %s\n  published: %s\n  text:      %s\n",
			r.DetailPreview.URL, r.DetailPreview.Title, r.DetailPreview.Published, cut(r.DetailPreview.Text, 120))
	}
	fmt.Fprintf(w, "\nProposed source (add it under sources: in your config, then `qualitywatch check --config FILE %s`):\n\n", r.Name)
	fmt.Fprintf(w, "  - name: %s\n    type: %s\n    url: %q\n    select:\n", r.Name, r.Type, r.URL)
	s := r.Select
	for _, kv := range [][2]string{{"html", s.HTML}, {"items", s.Items}, {"item", s.Item}, {"title", s.Title}, {"link", s.Link}, {"date", s.Date}, {"next", s.Next}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "      %s: %q\n", kv[0], kv[1])
		}
	}
	if r.PageParam != "" {
		fmt.Fprintf(w, "    page_param: %s\n", r.PageParam)
	}
	if r.Paging != "" {
		fmt.Fprintf(w, "    pages: 2                 # list pages read per poll\n")
	}
	if r.Detail != nil {
		fmt.Fprintf(w, "    detail:                  # each new entry's page gives the classifier its text\n      body: %q\n", r.Detail.Body)
	}
}

// cut shortens s to n runes.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
