// Command ackup is a self-hostable implementation of the cluster-upgrade
// API of Alibaba Cloud's Container Service for Kubernetes (ACK). `ackup
// server` serves the API; the other subcommands are clients built on the
// official Alibaba Cloud Go SDK.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is a subcommand: it parses its own flags from args.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return append([]command{
		{"server", "serve the ACK API", runServer},
		{"bench", "measure ackup under load (and a fleet of upgrades)", runBench},
		{"key", "manage AccessKeys and the server key on the server's database", runKey},
	}, clientCommands()...)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ackup <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun 'ackup <command> -h' for a command's flags.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "ackup: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}
