package app

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
	"github.com/qualitywatch/qualitywatch/router"
)

// status serves the status page and its JSON API:
//
//	GET  /                                         the page (Chinese; ?lang=en)
//	GET  /api/v1/sources                           every source and its state
//	GET  /api/v1/alerts                            the latest alerts
//	GET  /api/v1/deadletters                       dead letters per notifier
//	POST /api/v1/deadletters/{notifier}/{seq}/replay|drop   with Authorization: Bearer <http.token>
//
// Without http.token the page is read-only and the actions answer 403.
type status struct {
	board    *board
	tmpl     *template.Template
	loc      *time.Location
	version  string
	token    string
	logger   *slog.Logger
	names    namer
	js       func() jetstream.JetStream // nil until connected
	next     func(source string) time.Time
	notifier func() []string // notifier names in force
	// replay and drop act on the notifiers' dead letters.
	replay func(ctx context.Context, notifier string, seq uint64) error
	drop   func(ctx context.Context, notifier string, seq uint64) error

	mu      sync.Mutex
	stats   alertStats
	statsAt time.Time
}

// statsTTL is how long the 30-day alert counts are reused between pages.
const statsTTL = 30 * time.Second

func (s *status) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /api/v1/sources", s.apiSources)
	mux.HandleFunc("GET /api/v1/alerts", s.apiAlerts)
	mux.HandleFunc("GET /api/v1/deadletters", s.apiDeadLetters)
	mux.HandleFunc("POST /api/v1/deadletters/{notifier}/{seq}/{action}", s.action)
}

func (s *status) jetstream() (jetstream.JetStream, error) {
	if s.js == nil {
		return nil, errors.New("not connected to NATS yet")
	}
	js := s.js()
	if js == nil {
		return nil, errors.New("not connected to NATS yet")
	}
	return js, nil
}

// sources builds the sources table, with the alerts of the last 7 days.
func (s *status) sources(now time.Time, st alertStats, t texts) []pageSource {
	var out []pageSource
	for _, v := range s.board.snapshot() {
		ps := pageSource{
			Name: v.Name, Type: v.Type, URL: v.URL, State: v.state(), Failures: v.Last.Failures,
			LastOK: v.Last.LastOK, LastErr: v.LastErr, LastErrAt: v.LastErrAt, Entries: v.Last.Entries,
			Alerts7d: st.PerSource[v.Name], Strip: pollStrip(v.Polls.cells(now), now),
		}
		ps.StateLabel = t.States[ps.State]
		if s.next != nil {
			ps.NextPoll = s.next(v.Name)
		}
		if v.Last.NotBefore.After(ps.NextPoll) {
			ps.NextPoll = v.Last.NotBefore
		}
		out = append(out, ps)
	}
	return out
}

// alertStats returns the 30-day counts, read again at most every statsTTL.
func (s *status) alertStats(ctx context.Context, now time.Time) alertStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.statsAt) < statsTTL && len(s.stats.Days) > 0 {
		return s.stats
	}
	js, err := s.jetstream()
	if err != nil {
		return alertStats{PerSource: map[string]int{}}
	}
	st, err := readAlertStats(ctx, js, now, s.loc)
	if err != nil {
		s.logger.Warn("status page: read alert counts", "err", err)
	}
	s.stats, s.statsAt = st, now
	return st
}

func (s *status) page(w http.ResponseWriter, r *http.Request) {
	lang := "zh"
	if r.URL.Query().Get("lang") == "en" {
		lang = "en"
	}
	t := pageTexts(lang)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	now := time.Now()
	st := s.alertStats(ctx, now)
	d := pageData{Lang: lang, Version: s.version, T: t, Now: now, Actions: s.token != "",
		CSS: template.CSS(webAsset("status.css")), JS: template.JS(webAsset("status.js"))}
	d.Sources = s.sources(now, st, t)
	d.Counts = stateCounts(d.Sources, t)
	d.Chart = alertsChart(st, func(c string) string { return s.names("category", c, lang) })
	recent, dead := s.recent(ctx), s.deadLetters(ctx)
	for _, a := range recent {
		pa := pageAlert{recentAlert: a, TermList: termList(a.Terms)}
		for _, c := range a.Categories {
			pa.CategoryNames = append(pa.CategoryNames, s.names("category", c, lang))
		}
		for _, rg := range a.Regions {
			pa.RegionNames = append(pa.RegionNames, s.names("region", rg, lang))
		}
		d.Alerts = append(d.Alerts, pa)
	}
	for _, n := range s.notifier() {
		if len(dead[n]) > 0 {
			d.Dead = append(d.Dead, pageDead{Notifier: n, Letters: dead[n]})
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
	if err := s.tmpl.Execute(w, d); err != nil {
		s.logger.Warn("status page", "err", err)
	}
}

// recent reads the latest alerts with the notifiers that delivered each.
func (s *status) recent(ctx context.Context) []recentAlert {
	js, err := s.jetstream()
	if err != nil {
		return nil
	}
	out, err := readRecentAlerts(ctx, js, recentAlerts)
	if err != nil {
		s.logger.Warn("status page: read alerts", "err", err)
	}
	// Each bucket is bound once for the whole list.
	marks, merr := delivery.OpenMarks(ctx, js)
	records, rerr := router.OpenRecords(ctx, js)
	if err := errors.Join(merr, rerr); err != nil {
		s.logger.Warn("status page: read delivery marks and copies", "err", err)
	}
	names := s.notifier()
	for i := range out {
		out[i].Delivered = []string{}
		for _, n := range names {
			if marks == nil {
				break
			}
			if ok, err := marks.Delivered(ctx, n, out[i].ID); err == nil && ok {
				out[i].Delivered = append(out[i].Delivered, n)
			}
		}
		slices.Sort(out[i].Delivered)
		if records != nil {
			if also, err := records.Also(ctx, out[i].ID); err == nil && len(also) > 0 {
				out[i].Also = also
			}
		}
	}
	return out
}

func (s *status) deadLetters(ctx context.Context) map[string][]deadLetter {
	js, err := s.jetstream()
	if err != nil {
		return nil
	}
	out, err := readDeadLetters(ctx, js, s.notifier())
	if err != nil {
		s.logger.Warn("status page: read dead letters", "err", err)
	}
	return out
}

// apiSource is one source in /api/v1/sources.
type apiSource struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"`
	URL       string     `json:"url"`
	State     string     `json:"state"`
	Since     *time.Time `json:"since,omitempty"`
	Failures  int        `json:"failures"`
	LastOK    *time.Time `json:"last_ok,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	NextPoll  *time.Time `json:"next_poll,omitempty"`
	Entries   int        `json:"entries"`
	Alerts7d  int        `json:"alerts_7d"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *status) apiSources(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	now := time.Now()
	st := s.alertStats(ctx, now)
	out := []apiSource{}
	views := s.board.snapshot()
	for i, ps := range s.sources(now, st, pageTexts("en")) {
		out = append(out, apiSource{Name: ps.Name, Type: ps.Type, URL: ps.URL, State: ps.State, Since: timePtr(views[i].Last.Since),
			Failures: ps.Failures, LastOK: timePtr(ps.LastOK), LastError: ps.LastErr, NextPoll: timePtr(ps.NextPoll),
			Entries: ps.Entries, Alerts7d: ps.Alerts7d})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
}

func (s *status) apiAlerts(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	out := s.recent(ctx)
	if out == nil {
		out = []recentAlert{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

func (s *status) apiDeadLetters(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	dead := s.deadLetters(ctx)
	out := map[string][]deadLetter{}
	for _, n := range s.notifier() {
		out[n] = dead[n]
		if out[n] == nil {
			out[n] = []deadLetter{}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadletters": out})
}

// action replays or drops one dead letter, for a request bearing the token.
func (s *status) action(w http.ResponseWriter, r *http.Request) {
	if s.token == "" {
		http.Error(w, "read-only: set http.token to allow actions", http.StatusForbidden)
		return
	}
	given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(given), []byte(s.token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="qualitywatch"`)
		http.Error(w, "a valid bearer token is required", http.StatusUnauthorized)
		return
	}
	name, action := r.PathValue("notifier"), r.PathValue("action")
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		http.Error(w, "bad sequence number", http.StatusBadRequest)
		return
	}
	known := false
	for _, n := range s.notifier() {
		known = known || n == name
	}
	if !known {
		http.Error(w, "no such notifier", http.StatusNotFound)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	switch action {
	case "replay":
		err = s.replay(ctx, name, seq)
	case "drop":
		err = s.drop(ctx, name, seq)
	default:
		http.Error(w, "unknown action: want replay or drop", http.StatusNotFound)
		return
	}
	if errors.Is(err, errNoDeadLetter) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	s.logger.Info("dead letter "+action+"ed from the status page", "notifier", name, "seq", seq)
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "notifier": name, "seq": seq, "action": action})
}

// errNoDeadLetter is a sequence that is not one of the notifier's dead letters.
var errNoDeadLetter = errors.New("no such dead letter")

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// deadLetterMsg loads one of the notifier's dead letters.
func deadLetterMsg(ctx context.Context, js jetstream.JetStream, notifier string, seq uint64) (jetstream.Stream, *jetstream.RawStreamMsg, error) {
	st, err := js.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		return nil, nil, fmt.Errorf("dead-letter stream: %w", err)
	}
	m, err := st.GetMsg(ctx, seq)
	if bus.IsNotFound(err) || (err == nil && m.Subject != bus.DeadLetterSubject(notifier)) {
		return nil, nil, fmt.Errorf("%w: %s has no dead letter %d", errNoDeadLetter, notifier, seq)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dead letter %d: %w", seq, err)
	}
	return st, m, nil
}
