package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// Check statuses that end a check.
const (
	checkSucceeded = "Succeeded"
	checkFailed    = "Failed"
)

// checkRun is "ackup check run".
func checkRun(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	typ := fs.String("type", "ClusterUpgrade", "check type: ClusterUpgrade, MasterUpgrade or NodePoolUpgrade")
	target := fs.String("target", "", "node pool id or name (required for NodePoolUpgrade)")
	to := fs.String("to", "", "version the upgrade would go to (default the newest allowed)")
	wait := fs.Bool("wait", false, "wait for the check's verdict and show it (exit 3 if it failed)")
	interval := fs.Duration("interval", time.Second, "how often --wait polls")
	pos, err := c.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *typ == "NodePoolUpgrade" && *target == "" {
		return usagef("%s: --target is required with --type NodePoolUpgrade", fs.Name())
	}
	s, err := c.connect()
	if err != nil {
		return err
	}
	clusterID := pos[0]
	req := &cs.RunClusterCheckRequest{Type: typ}
	if *target != "" {
		pool, err := s.findPool(clusterID, *target)
		if err != nil {
			return err
		}
		req.Target = pool.NodepoolInfo.NodepoolId
	}
	version := *to
	if version == "" && *typ != "NodePoolUpgrade" {
		d, err := s.cs.DescribeClusterDetail(dara.String(clusterID))
		if err != nil {
			return err
		}
		if version, err = s.upgradeTarget(d.Body); err != nil {
			return err
		}
	}
	if version != "" {
		req.Options = map[string]*string{"targetVersion": dara.String(version)}
	}
	resp, err := s.cs.RunClusterCheck(dara.String(clusterID), req)
	if err != nil {
		return err
	}
	checkID := str(resp.Body.CheckId)
	if !*wait {
		return s.out.emit(resp.Body, func(w io.Writer) { fmt.Fprintln(w, checkID) })
	}
	var check *cs.GetClusterCheckResponseBody
	err = poll(ctx, *interval, func() (bool, error) {
		r, err := s.cs.GetClusterCheck(dara.String(clusterID), dara.String(checkID))
		if err != nil {
			return false, err
		}
		check = r.Body
		st := str(check.Status)
		return st == checkSucceeded || st == checkFailed, nil
	})
	if err != nil {
		return err
	}
	if err := s.out.emit(check, func(w io.Writer) { writeCheck(w, check) }); err != nil {
		return err
	}
	if str(check.Status) == checkFailed {
		return &outcomeError{fmt.Sprintf("check %s failed: %s", checkID, str(check.Message))}
	}
	return nil
}

// checkShow is "ackup check show".
func checkShow(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	pos, s, err := c.parseConnect(fs, args, 2, 2)
	if err != nil {
		return err
	}
	resp, err := s.cs.GetClusterCheck(dara.String(pos[0]), dara.String(pos[1]))
	if err != nil {
		return err
	}
	return s.out.emit(resp.Body, func(w io.Writer) { writeCheck(w, resp.Body) })
}

// writeCheck renders a check: its fields and its items by category.
func writeCheck(w io.Writer, b *cs.GetClusterCheckResponseBody) {
	writeFields(w, field{"Check", str(b.CheckId)}, field{"Type", str(b.Type)}, field{"Status", str(b.Status)},
		field{"Message", str(b.Message)}, field{"Created", shortTime(str(b.CreatedAt))}, field{"Finished", shortTime(str(b.FinishedAt))})
	if len(b.CheckItems) == 0 {
		return
	}
	fmt.Fprintln(w)
	t := newTable(column{"CATEGORY", false}, column{"ITEM", false}, column{"STATUS", true}, column{"MESSAGE", false})
	for _, cat := range slices.Sorted(maps.Keys(b.CheckItems)) {
		for _, item := range b.CheckItems[cat] {
			text := func(k string) string { s, _ := item[k].(string); return s }
			t.add(cat, text("name"), text("status"), text("message"))
		}
	}
	t.write(w)
}

// checkList is "ackup check list".
func checkList(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	typ := fs.String("type", "", "only checks of this type")
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	req := &cs.ListClusterChecksRequest{}
	if *typ != "" {
		req.Type = typ
	}
	resp, err := s.cs.ListClusterChecks(dara.String(pos[0]), req)
	if err != nil {
		return err
	}
	// Check ids are about 70 characters, so each check takes two lines:
	// the id, then what it is.
	return s.out.emitList(resp.Body, "checks", func(w io.Writer) {
		if len(resp.Body.Checks) == 0 {
			fmt.Fprintln(w, "No checks.")
		}
		for _, ch := range resp.Body.Checks {
			fmt.Fprintln(w, truncate(str(ch.CheckId), maxWidth))
			line := fmt.Sprintf("  %-16s %-10s %s  %s", str(ch.Type), str(ch.Status), shortTime(str(ch.CreatedAt)), str(ch.Message))
			fmt.Fprintln(w, truncate(line, maxWidth))
		}
	})
}
