package alert

import (
	"encoding/json"
	"fmt"
	"time"
)

// HealthSchema names the health event body version.
const HealthSchema = "qualitywatch.health.v1"

// Source health states, as health events and the status page name them.
const (
	StateOK      = "ok"      // polls succeed
	StateFailing = "failing" // consecutive polls failed past the threshold
	StateStale   = "stale"   // no successful poll for 3 of the source's intervals
	StateLayout  = "layout"  // the page or feed yielded entries and now yields none or unreadable ones
	StateBlocked = "blocked" // a web application firewall answers with a challenge
)

// States lists every state, healthy first.
func States() []string {
	return []string{StateOK, StateFailing, StateStale, StateLayout, StateBlocked}
}

// Health is a source's change of state as published on
// qualitywatch.health.<source>.
type Health struct {
	Schema   string `json:"schema"`
	Source   string `json:"source"`
	URL      string `json:"url,omitempty"`
	State    string `json:"state"`
	Previous string `json:"previous"`
	Since    string `json:"since"` // RFC 3339: when the source entered State
	Error    string `json:"error,omitempty"`
	// Reason is the error in a few words: "HTTP 412", "timeout",
	// `select.item "li" matched nothing`.
	Reason   string `json:"reason,omitempty"`
	Failures int    `json:"failures"` // consecutive failed polls
}

// Text describes the change in a sentence, in Chinese (lang "zh") or
// English: "源 sd-amr-food-sampling 已连续失败 5 次：HTTP 412（疑似防火墙拦截）".
func (h Health) Text(lang string) string {
	reason := h.Reason
	if reason == "" {
		reason = h.Error
	}
	if lang == "en" {
		switch h.State {
		case StateOK:
			return fmt.Sprintf("Source %s recovered", h.Source)
		case StateStale:
			return fmt.Sprintf("Source %s is stale: no successful poll for 3 of its intervals", h.Source)
		case StateBlocked:
			return fmt.Sprintf("Source %s failed %d times in a row: %s (probably blocked by a web application firewall)", h.Source, h.Failures, reason)
		case StateLayout:
			return fmt.Sprintf("Source %s failed %d times in a row: %s (the page's layout probably changed)", h.Source, h.Failures, reason)
		}
		return fmt.Sprintf("Source %s failed %d times in a row: %s", h.Source, h.Failures, reason)
	}
	switch h.State {
	case StateOK:
		return fmt.Sprintf("源 %s 已恢复", h.Source)
	case StateStale:
		return fmt.Sprintf("源 %s 已停滞：连续 3 个周期没有成功抓取", h.Source)
	case StateBlocked:
		return fmt.Sprintf("源 %s 已连续失败 %d 次：%s（疑似防火墙拦截）", h.Source, h.Failures, reason)
	case StateLayout:
		return fmt.Sprintf("源 %s 已连续失败 %d 次：%s（疑似页面改版）", h.Source, h.Failures, reason)
	}
	return fmt.Sprintf("源 %s 已连续失败 %d 次：%s", h.Source, h.Failures, reason)
}

// HealthCategory is the category of the alert that carries a health event
// to a notifier.
const HealthCategory = "health"

// FromHealth wraps a health event in an alert for the notifiers that asked
// for health events: the title says what happened (in Chinese; renderers
// with another locale use Health.Text), the link is the source's URL.
func FromHealth(h Health, detected time.Time) Alert {
	return Alert{
		Schema: Schema, ID: h.ID(), Source: h.Source, Title: h.Text("zh"), Link: h.URL,
		Detected: detected.UTC().Format(time.RFC3339), Summary: h.Error,
		Categories: []string{HealthCategory}, Regions: []string{}, Terms: []Term{}, Health: &h,
	}
}

// ID is the event's identity: one per source, state and moment, so that
// replicas noticing the same change publish it once.
func (h Health) ID() string {
	return "health/" + h.Source + "/" + h.State + "/" + h.Since
}

// DecodeHealth parses a health event body and checks its schema.
func DecodeHealth(data []byte) (Health, error) {
	var h Health
	if err := json.Unmarshal(data, &h); err != nil {
		return Health{}, fmt.Errorf("decode health event: %w", err)
	}
	if h.Schema != HealthSchema {
		return Health{}, fmt.Errorf("decode health event: schema %q, want %q", h.Schema, HealthSchema)
	}
	if h.Source == "" || h.State == "" {
		return Health{}, fmt.Errorf("decode health event: missing source or state")
	}
	return h, nil
}
