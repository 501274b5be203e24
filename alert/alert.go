// Package alert defines the messages qualitywatch puts on NATS: the item
// published for every new feed entry and the alert published for every match.
// Both are part of the public contract documented in README.md.
package alert

import (
	"encoding/json"
	"fmt"
	"time"
)

// Schema names the alert body version carried in every alert.
const Schema = "qualitywatch.alert.v1"

// ItemSchema names the item body version carried on the items stream.
const ItemSchema = "qualitywatch.item.v1"

// Term is one vocabulary term that contributed to a verdict.
type Term struct {
	Term     string `json:"term"`
	Category string `json:"category"`
	Count    int    `json:"count"`
}

// Verdict is what the classifier concluded about an item.
type Verdict struct {
	Match      bool     `json:"match"`
	Score      float64  `json:"score"`
	Categories []string `json:"categories"`
	Regions    []string `json:"regions"`
	Terms      []Term   `json:"terms"`
}

// Item is one new feed entry as published on qualitywatch.items.<source>.
type Item struct {
	Schema    string  `json:"schema"`
	ID        string  `json:"id"`
	Source    string  `json:"source"`
	Title     string  `json:"title"`
	Link      string  `json:"link"`
	Published string  `json:"published,omitempty"`
	Fetched   string  `json:"fetched"`
	Summary   string  `json:"summary"`
	Text      string  `json:"text,omitempty"`
	Verdict   Verdict `json:"verdict"`
	// UpdateOf is set on an item that revises an earlier one (same
	// identity, title or text changed materially): the earlier item's id.
	UpdateOf string `json:"update_of,omitempty"`
}

// Alert is a matched item as published on qualitywatch.alerts.<region>.<category>.
type Alert struct {
	Schema     string   `json:"schema"`
	ID         string   `json:"id"`
	Source     string   `json:"source"`
	Title      string   `json:"title"`
	Link       string   `json:"link"`
	Published  string   `json:"published,omitempty"`
	Detected   string   `json:"detected"`
	Summary    string   `json:"summary"`
	Score      float64  `json:"score"`
	Categories []string `json:"categories"`
	Regions    []string `json:"regions"`
	Terms      []Term   `json:"terms"`
	// Health is set when the alert carries a source's change of state to a
	// notifier with events: [health]; its category is then "health".
	Health *Health `json:"health,omitempty"`
	// UpdateOf is set on an alert that revises an earlier one (its title or
	// text was corrected, or it is a correction or withdrawal naming it):
	// the earlier alert's id.
	UpdateOf string `json:"update_of,omitempty"`
	// Also lists the other places the same notice was published (reposts
	// by other bureaus), as far as known when the alert was sent.
	Also []Also `json:"also,omitempty"`
	// AlsoOf is set on a follow-up ("also published by …", stream
	// QUALITYWATCH_REPOSTS): the id of the alert it follows up.
	AlsoOf string `json:"also_of,omitempty"`
}

// Also is one more copy of a notice, on another source.
type Also struct {
	Source   string `json:"source"`
	Link     string `json:"link"`
	Detected string `json:"detected"` // RFC 3339
}

// FromItem builds the alert for a matched item, detected at the given time.
func FromItem(it Item, detected time.Time) Alert {
	return Alert{
		Schema:     Schema,
		ID:         it.ID,
		Source:     it.Source,
		Title:      it.Title,
		Link:       it.Link,
		Published:  it.Published,
		Detected:   detected.UTC().Format(time.RFC3339),
		Summary:    it.Summary,
		Score:      it.Verdict.Score,
		Categories: nonNil(it.Verdict.Categories),
		Regions:    nonNil(it.Verdict.Regions),
		Terms:      nonNilTerms(it.Verdict.Terms),
		UpdateOf:   it.UpdateOf,
	}
}

// Decode parses an alert body and checks its schema.
func Decode(data []byte) (Alert, error) {
	var a Alert
	if err := json.Unmarshal(data, &a); err != nil {
		return Alert{}, fmt.Errorf("decode alert: %w", err)
	}
	if a.Schema != Schema {
		return Alert{}, fmt.Errorf("decode alert: schema %q, want %q", a.Schema, Schema)
	}
	if a.ID == "" {
		return Alert{}, fmt.Errorf("decode alert: missing id")
	}
	return a, nil
}

// DecodeItem parses an item body and checks its schema.
func DecodeItem(data []byte) (Item, error) {
	var it Item
	if err := json.Unmarshal(data, &it); err != nil {
		return Item{}, fmt.Errorf("decode item: %w", err)
	}
	if it.Schema != ItemSchema {
		return Item{}, fmt.Errorf("decode item: schema %q, want %q", it.Schema, ItemSchema)
	}
	if it.ID == "" {
		return Item{}, fmt.Errorf("decode item: missing id")
	}
	return it, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilTerms(t []Term) []Term {
	if t == nil {
		return []Term{}
	}
	return t
}
