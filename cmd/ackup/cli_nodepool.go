package main

import (
	"context"
	"fmt"
	"io"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// nodePoolList is "ackup nodepool list".
func nodePoolList(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	resp, err := s.cs.DescribeClusterNodePools(dara.String(pos[0]), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		return err
	}
	return s.out.emitList(resp.Body, "nodepools", func(w io.Writer) { writePools(w, resp.Body.Nodepools) })
}

// findPool returns the node pool of the cluster whose id or name is ref.
func (s *session) findPool(clusterID, ref string) (*cs.DescribeClusterNodePoolsResponseBodyNodepools, error) {
	resp, err := s.cs.DescribeClusterNodePools(dara.String(clusterID), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		return nil, err
	}
	var byName *cs.DescribeClusterNodePoolsResponseBodyNodepools
	for _, p := range resp.Body.Nodepools {
		if p.NodepoolInfo == nil {
			continue
		}
		if str(p.NodepoolInfo.NodepoolId) == ref {
			return p, nil
		}
		if str(p.NodepoolInfo.Name) == ref && byName == nil {
			byName = p
		}
	}
	if byName != nil {
		return byName, nil
	}
	return nil, fmt.Errorf("cluster %s has no node pool with id or name %q; 'ackup nodepool list %s' lists them", clusterID, ref, clusterID)
}

// nodePoolUpgrade is "ackup nodepool upgrade".
func nodePoolUpgrade(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	to := fs.String("to", "", "target version (default the control plane's version)")
	var nodeNames listFlag
	fs.Var(&nodeNames, "node", "upgrade only this node (repeatable)")
	parallel := fs.Int("max-parallelism", 0, "nodes upgraded at once (default 1)")
	pausePolicy := fs.String("pause-policy", "", "pause between batches: FirstBatch, EveryBatch or NotPause (default NotPause)")
	batchInterval := fs.Int("batch-interval", 0, "minutes between batches (5 to 120; only with NotPause)")
	watch := fs.Bool("watch", false, "follow the upgrade live until it ends (exit 3 if it fails)")
	var wo watchOptions
	wo.register(fs)
	pos, s, err := c.parseConnect(fs, args, 2, 2)
	if err != nil {
		return err
	}
	clusterID := pos[0]
	pool, err := s.findPool(clusterID, pos[1])
	if err != nil {
		return err
	}
	poolID := str(pool.NodepoolInfo.NodepoolId)
	req := &cs.UpgradeClusterNodepoolRequest{}
	if *to != "" {
		req.KubernetesVersion = to
	}
	for _, n := range nodeNames {
		req.NodeNames = append(req.NodeNames, dara.String(n))
	}
	if *parallel != 0 || *pausePolicy != "" || *batchInterval != 0 {
		req.RollingPolicy = &cs.UpgradeClusterNodepoolRequestRollingPolicy{}
		if *parallel != 0 {
			req.RollingPolicy.MaxParallelism = dara.Int32(int32(*parallel))
		}
		if *pausePolicy != "" {
			req.RollingPolicy.PausePolicy = pausePolicy
		}
		if *batchInterval != 0 {
			req.RollingPolicy.BatchInterval = dara.Int32(int32(*batchInterval))
		}
	}
	resp, err := s.cs.UpgradeClusterNodepool(dara.String(clusterID), dara.String(poolID), req)
	if err != nil {
		return err
	}
	taskID := str(resp.Body.TaskId)
	target := *to
	if target == "" {
		target = "the control plane's version"
	}
	err = s.out.emit(resp.Body, func(w io.Writer) {
		writeFields(w, field{"Cluster", clusterID}, field{"Node pool", str(pool.NodepoolInfo.Name) + " (" + poolID + ")"},
			field{"Upgrade", "to " + target}, field{"Task", taskID})
	})
	if err != nil || !*watch {
		return err
	}
	return c.watch(ctx, s, clusterID, taskID, wo)
}
