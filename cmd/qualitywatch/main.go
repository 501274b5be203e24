// Command qualitywatch watches news feeds for quality announcements and
// alerts the people who must know. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/qualitywatch/qualitywatch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
