// Command slipway is Slipway's command line (pkg/cli).
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/slipway-dev/slipway/pkg/cli"
)

func main() {
	// Ctrl-C cancels the call or the wait in progress.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Args[1:], cli.System())
	stop()
	os.Exit(code)
}
