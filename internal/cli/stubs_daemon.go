package cli

// Temporary stubs, replaced by run.go, check.go, config.go, notify.go, replay.go.

import (
	"context"
	"errors"
)

func cmdRun(context.Context, *Env, []string) error    { return errors.New("not implemented yet") }
func cmdCheck(context.Context, *Env, []string) error  { return errors.New("not implemented yet") }
func cmdConfig(context.Context, *Env, []string) error { return errors.New("not implemented yet") }
func cmdNotify(context.Context, *Env, []string) error { return errors.New("not implemented yet") }
func cmdReplay(context.Context, *Env, []string) error { return errors.New("not implemented yet") }
