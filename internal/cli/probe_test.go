package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/internal/govsite"
)

// Probe on every CMS family of the fake bureau: the family is recognised,
// the entries previewed are the column's first ones, and the proposed
// source, put in a config, makes `check` list every entry of every page.
func TestProbeEveryFamily(t *testing.T) {
	site := govsite.New(t)
	families := map[string]string{"hanweb": "hanweb", "hanweb-gbk": "hanweb", "trs-gbk": "trs", "vsb": "vsb",
		"jpaas": "jpaas", "jsonlist": "json", "cookie": "trs"}
	for name, col := range govsite.Columns() {
		t.Run(name, func(t *testing.T) {
			u := site.URL + col.Path
			if col.Shell != "" {
				u = site.URL + col.Shell // the page a user sees: its data endpoint is found
			}
			out, _, err := runCmd(t, cmdProbe, "", "--json", u)
			if err != nil {
				t.Fatal(err)
			}
			var res probeResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if res.Family != families[name] {
				t.Errorf("family %q, want %q", res.Family, families[name])
			}
			if len(res.Entries) < 5 || len(res.Entries) > len(col.Entries) {
				t.Fatalf("%d entries previewed", len(res.Entries))
			}
			dated := 0
			for i, e := range res.Entries {
				lu, _ := url.Parse(e.Link)
				if e.Title != col.Entries[i].Title || lu.RequestURI() != col.Entries[i].Link {
					t.Errorf("entry %d = %q %s, want %q %s", i, e.Title, e.Link, col.Entries[i].Title, col.Entries[i].Link)
				}
				if !e.Date.IsZero() {
					dated++
				}
			}
			if dated != len(res.Entries) {
				t.Errorf("%d of %d entries dated", dated, len(res.Entries))
			}
			if res.Detail == nil || res.DetailPreview == nil || len(res.DetailPreview.Text) < 100 {
				t.Errorf("no detail proposal: %+v", res.Notes)
			}
			// The proposal, as a config, reads every page.
			conf := fmt.Sprintf("sources:\n  - name: %s\n    type: %s\n    url: %q\n    pages: %d\n", res.Name, res.Type, res.URL, col.Pages)
			if res.PageParam != "" {
				conf += "    page_param: " + res.PageParam + "\n"
			}
			sel, _ := json.Marshal(res.Select)
			conf += "    select: " + string(sel) + "\n"
			path := filepath.Join(t.TempDir(), "qw.yaml")
			if err := os.WriteFile(path, []byte("watch: {host_delay: 0s}\n"+conf), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, err = runCmd(t, cmdCheck, "", "--config", path, "--no-detail")
			if err != nil {
				t.Fatalf("check with the proposal: %v\n%s\n%s", err, conf, out)
			}
			if want := fmt.Sprintf("== %s: %d items from %d list page", res.Name, len(col.Entries), col.Pages); !strings.Contains(out, want) {
				t.Errorf("check output lacks %q:\n%s", want, firstLines(out, 3))
			}
		})
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func TestProbeHumanOutput(t *testing.T) {
	site := govsite.New(t)
	out, _, err := runCmd(t, cmdProbe, "", site.URL+"/zwgk/tzgg/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"family:  trs", "paging:  trs index_N", "2026-11-30 00:00  关于2026年第12期信息的通告",
		"    type: html\n", `      item: "ul.category-list > li"`, `      title: "a@title"`, "    detail:", "first entry's page:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A page without a list says so.
	if _, _, err := runCmd(t, cmdProbe, "", site.URL+"/no/such/page.html"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404 page: %v", err)
	}
	if _, _, err := runCmd(t, cmdProbe, ""); err == nil {
		t.Error("no URL: want a usage error")
	}
}

// check reads a configured list source: every page, detail pages, the
// verdicts; --matched keeps what would alert.
func TestCheckListSource(t *testing.T) {
	site := govsite.New(t)
	col := govsite.Columns()["trs-gbk"]
	conf := fmt.Sprintf(`watch: {host_delay: 0s}
sources:
  - name: qingdao
    type: html
    url: %q
    pages: 3
    select: {item: "ul.category-list li", title: "a@title", link: "a@href", date: "span"}
    detail: {body: "div.wenzhang div.content"}
`, site.URL+col.Path)
	path := filepath.Join(t.TempDir(), "qw.yaml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, cmdCheck, "", "--config", path, "--matched")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, fmt.Sprintf("== qingdao: %d items from 3 list pages (paging: trs index_N)", len(col.Entries))) {
		t.Errorf("output:\n%s", firstLines(out, 2))
	}
	for _, l := range col.Neutral {
		if !strings.Contains(out, l) {
			t.Errorf("the neutral-titled notice %s should match on its detail page", l)
		}
	}
	if strings.Contains(out, "人事任免") {
		t.Error("--matched printed a non-quality notice")
	}
}
