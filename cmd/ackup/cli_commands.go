package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// subcommand is one word of a client command group, e.g. "create" in
// "ackup cluster create". It defines and parses its own flags.
type subcommand struct {
	name     string
	synopsis string
	summary  string
	run      func(ctx context.Context, c *cli, name string, args []string) error
}

// group is a client command with subcommands, e.g. "cluster". Global flags
// may be given before the subcommand word as well as after it.
type group struct {
	name    string
	summary string
	subs    []subcommand
}

// clientGroups is the client command tree.
func clientGroups() []group {
	return []group{
		{"cluster", "create, register, list, show and delete clusters", []subcommand{
			{"create", "--name NAME [flags]", "create a (simulated) cluster and print its id", clusterCreate},
			{"register", "--name NAME --kubeconfig FILE [flags]", "register an existing Kubernetes cluster by its kubeconfig and print its id", clusterRegister},
			{"list", "[flags]", "list the clusters", clusterList},
			{"show", "CLUSTER [flags]", "show a cluster with its node pools", clusterShow},
			{"delete", "CLUSTER [flags]", "delete a cluster", clusterDelete},
		}},
		{"upgrade", "start, follow and steer a cluster upgrade", []subcommand{
			{"start", "CLUSTER [--to VERSION] [--master-only] [--watch]", "start an upgrade (default: to the newest allowed version)", upgradeStart},
			{"status", "CLUSTER [flags]", "show the cluster's current or latest upgrade", upgradeStatus},
			{"pause", "CLUSTER [flags]", "pause the cluster's upgrade after the nodes in flight", upgradeAction("pause")},
			{"resume", "CLUSTER [flags]", "resume the cluster's paused upgrade, or retry its failed one", upgradeAction("resume")},
			{"cancel", "CLUSTER [flags]", "cancel the cluster's upgrade at its next safe point", upgradeAction("cancel")},
			{"watch", "CLUSTER [--task TASK] [flags]", "follow an upgrade live until it ends", upgradeWatch},
		}},
		{"nodepool", "list and upgrade node pools", []subcommand{
			{"list", "CLUSTER [flags]", "list a cluster's node pools", nodePoolList},
			{"upgrade", "CLUSTER POOL [--to VERSION] [--watch]", "upgrade a node pool's nodes (POOL is an id or a name)", nodePoolUpgrade},
		}},
		{"check", "run and read cluster checks (prechecks)", []subcommand{
			{"run", "CLUSTER [--type TYPE] [--to VERSION] [--wait]", "run a check and print its id", checkRun},
			{"show", "CLUSTER CHECK [flags]", "show a check with its items", checkShow},
			{"list", "CLUSTER [--type TYPE] [flags]", "list a cluster's checks", checkList},
		}},
		{"task", "read and steer tasks", []subcommand{
			{"show", "TASK [flags]", "show a task with its stages and events", taskShow},
			{"list", "CLUSTER [flags]", "list a cluster's tasks, newest first", taskList},
			{"pause", "TASK [flags]", "pause a running task", taskAction("pause")},
			{"resume", "TASK [flags]", "resume a paused task, or retry a failed upgrade", taskAction("resume")},
			{"cancel", "TASK [flags]", "cancel a task", taskAction("cancel")},
		}},
	}
}

// clientCommands lists the client commands in the order "ackup -h" shows
// them.
func clientCommands() []command {
	var cmds []command
	for _, g := range clientGroups() {
		cmds = append(cmds, g.command())
		if g.name == "cluster" {
			cmds = append(cmds, command{name: "versions", usage: "list Kubernetes versions and upgrade targets",
				run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
					c := newCLI(stdout, stderr)
					return c.exit(versionsRun(ctx, c, "versions", args))
				}})
		}
	}
	return cmds
}

// command adapts the group to main's command table.
func (g group) command() command {
	return command{name: g.name, usage: g.summary, run: func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		c := newCLI(stdout, stderr)
		return c.exit(g.dispatch(ctx, c, args))
	}}
}

// dispatch parses the global flags given before the subcommand word and
// runs the subcommand with the rest.
func (g group) dispatch(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet(g.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.g.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			g.usage(c.stdout)
			return nil
		}
		return usagef("%s: %v; run 'ackup %s -h' for usage", g.name, err, g.name)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		g.usage(c.stderr)
		return usagef("%s: missing subcommand", g.name)
	}
	if rest[0] == "help" {
		g.usage(c.stdout)
		return nil
	}
	var names []string
	for _, s := range g.subs {
		if s.name == rest[0] {
			return s.run(ctx, c, g.name+" "+s.name, rest[1:])
		}
		names = append(names, s.name)
	}
	return usagef("%s: unknown subcommand %q (one of %s)", g.name, rest[0], strings.Join(names, ", "))
}

// usage lists the group's subcommands.
func (g group) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: ackup %s <subcommand> [flags]\n\n%s.\n\nsubcommands:\n", g.name, g.summary)
	for _, s := range g.subs {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun 'ackup %s <subcommand> -h' for its flags.\n", g.name)
}

// synopsisOf finds the synopsis and summary of a subcommand by its full
// name ("cluster create"), for its flag set's usage text.
func synopsisOf(name string) (string, string) {
	if name == "versions" {
		return versionsSynopsis, versionsSummary
	}
	for _, cmd := range clientGroups() {
		for _, s := range cmd.subs {
			if cmd.name+" "+s.name == name {
				return s.synopsis, s.summary
			}
		}
	}
	return "[flags]", ""
}
