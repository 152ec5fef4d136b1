package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/upgrade"
)

// listFlag is a flag that may be repeated; it collects every value.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// faultTags turns --fault TAG=VALUE flags into the simulator's cluster tags;
// TAG is a fault tag's key with or without its "ackup.sim/" prefix.
func faultTags(faults []string) ([]*cs.Tag, error) {
	var tags []*cs.Tag
	for _, f := range faults {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return nil, usagef("--fault %q: want TAG=VALUE, e.g. drain-blocked=1", f)
		}
		key := ""
		for _, ft := range upgrade.FaultTags {
			if k == ft.Key || "ackup.sim/"+k == ft.Key {
				key = ft.Key
			}
		}
		if key == "" {
			return nil, usagef("--fault %q: unknown fault tag %q; run 'ackup cluster create -h' for the list", f, k)
		}
		tags = append(tags, &cs.Tag{Key: dara.String(key), Value: dara.String(v)})
	}
	return tags, nil
}

// clusterCreate is "ackup cluster create".
func clusterCreate(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	clusterName := fs.String("name", "", "cluster name (required)")
	version := fs.String("version", "", "Kubernetes version (default the newest a new cluster may use)")
	nodes := fs.Int("nodes", 3, "nodes in each node pool")
	pools := fs.Int("pools", 1, "number of node pools")
	instanceType := fs.String("instance-type", "ecs.g7.xlarge", "ECS instance type of the nodes")
	var tagFlags, faultFlags listFlag
	fs.Var(&tagFlags, "tag", "cluster tag KEY=VALUE (repeatable)")
	fs.Var(&faultFlags, "fault", "simulator fault TAG=VALUE (repeatable; tags below)")
	wait := fs.Bool("wait", false, "wait until the cluster is running")
	interval := fs.Duration("interval", time.Second, "how often --wait polls")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(fs.Output(), "\nsimulator fault tags (--fault TAG=VALUE):")
		for _, ft := range upgrade.FaultTags {
			fmt.Fprintf(fs.Output(), "  %s=%s\n    \t%s\n", strings.TrimPrefix(ft.Key, "ackup.sim/"), ft.Example, ft.Description)
		}
	}
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	switch {
	case *clusterName == "":
		return usagef("%s: --name is required", fs.Name())
	case *nodes < 0 || *pools < 1:
		return usagef("%s: --nodes must be 0 or more and --pools 1 or more", fs.Name())
	}
	tags, err := faultTags(faultFlags)
	if err != nil {
		return err
	}
	for _, t := range tagFlags {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return usagef("--tag %q: want KEY=VALUE", t)
		}
		tags = append(tags, &cs.Tag{Key: dara.String(k), Value: dara.String(v)})
	}
	s, err := c.connect()
	if err != nil {
		return err
	}
	req := &cs.CreateClusterRequest{
		Name: clusterName, RegionId: dara.String(s.region), ClusterType: dara.String(defaultClusterType),
		ClusterSpec: dara.String("ack.pro.small"), Tags: tags,
	}
	if *version != "" {
		req.KubernetesVersion = version
	}
	for i := range *pools {
		poolName := "default-nodepool"
		if i > 0 {
			poolName = "nodepool-" + strconv.Itoa(i+1)
		}
		req.Nodepools = append(req.Nodepools, &cs.Nodepool{
			NodepoolInfo: &cs.NodepoolNodepoolInfo{Name: dara.String(poolName)},
			ScalingGroup: &cs.NodepoolScalingGroup{DesiredSize: dara.Int64(int64(*nodes)), InstanceTypes: []*string{instanceType}},
		})
	}
	resp, err := s.cs.CreateCluster(req)
	if err != nil {
		return err
	}
	id := str(resp.Body.ClusterId)
	if err := s.out.emit(resp.Body, func(w io.Writer) { fmt.Fprintln(w, id) }); err != nil {
		return err
	}
	if !*wait {
		return nil
	}
	return poll(ctx, *interval, func() (bool, error) {
		d, err := s.cs.DescribeClusterDetail(dara.String(id))
		if err != nil {
			return false, err
		}
		switch st := str(d.Body.State); st {
		case "running":
			return true, nil
		case "failed", "deleting", "deleted", "delete_failed":
			return false, &outcomeError{fmt.Sprintf("cluster %s is %s instead of running; 'ackup task list %s' tells why", id, st, id)}
		}
		return false, nil
	})
}

// poll calls check at once and then every interval until it reports done
// or an error, or ctx ends.
func poll(ctx context.Context, interval time.Duration, check func() (bool, error)) error {
	t := time.NewTicker(max(interval, 10*time.Millisecond))
	defer t.Stop()
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// clusterList is "ackup cluster list".
func clusterList(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	nameFilter := fs.String("name", "", "only clusters whose name contains this")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	s, err := c.connect()
	if err != nil {
		return err
	}
	const pageSize = 100
	var all []*cs.DescribeClustersV1ResponseBodyClusters
	for page := int64(1); ; page++ {
		req := &cs.DescribeClustersV1Request{PageNumber: dara.Int64(page), PageSize: dara.Int64(pageSize)}
		if *nameFilter != "" {
			req.Name = nameFilter
		}
		resp, err := s.cs.DescribeClustersV1(req)
		if err != nil {
			return err
		}
		all = append(all, resp.Body.Clusters...)
		total := int64(0)
		if pi := resp.Body.PageInfo; pi != nil {
			total = int64(dara.Int32Value(pi.TotalCount))
		}
		if len(resp.Body.Clusters) < pageSize || int64(len(all)) >= total {
			break
		}
	}
	n := int32(len(all))
	body := &cs.DescribeClustersV1ResponseBody{Clusters: all,
		PageInfo: &cs.DescribeClustersV1ResponseBodyPageInfo{PageNumber: dara.Int32(1), PageSize: dara.Int32(n), TotalCount: dara.Int32(n)}}
	return s.out.emitList(body, "clusters", func(w io.Writer) {
		t := newTable(column{"CLUSTER ID", true}, column{"NAME", false}, column{"VERSION", true}, column{"STATE", true}, column{"NODES", true})
		for _, cl := range all {
			t.add(str(cl.ClusterId), str(cl.Name), str(cl.CurrentVersion), str(cl.State), strconv.FormatInt(dara.Int64Value(cl.Size), 10))
		}
		t.write(w)
	})
}

// clusterShow is "ackup cluster show".
func clusterShow(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	d, err := s.cs.DescribeClusterDetail(dara.String(pos[0]))
	if err != nil {
		return err
	}
	if s.out.structured() {
		return s.out.emit(d.Body, nil)
	}
	pools, err := s.cs.DescribeClusterNodePools(dara.String(pos[0]), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		return err
	}
	b := d.Body
	var tags []string
	for _, t := range b.Tags {
		tags = append(tags, str(t.Key)+"="+str(t.Value))
	}
	writeFields(s.out.w,
		field{"Cluster", str(b.ClusterId)}, field{"Name", str(b.Name)}, field{"Region", str(b.RegionId)},
		field{"Type", strings.TrimSpace(str(b.ClusterType) + " " + str(b.ClusterSpec))},
		field{"State", str(b.State)}, field{"Version", str(b.CurrentVersion)}, field{"Next version", str(b.NextVersion)},
		field{"Nodes", strconv.FormatInt(dara.Int64Value(b.Size), 10)}, field{"Created", shortTime(str(b.Created))},
		field{"Tags", strings.Join(tags, ", ")})
	fmt.Fprintln(s.out.w)
	writePools(s.out.w, pools.Body.Nodepools)
	return nil
}

// writePools renders node pools as a table.
func writePools(w io.Writer, pools []*cs.DescribeClusterNodePoolsResponseBodyNodepools) {
	t := newTable(column{"NODE POOL ID", true}, column{"NAME", false}, column{"NODES", true}, column{"STATE", true})
	for _, p := range pools {
		var id, pname, nodes, state string
		if info := p.NodepoolInfo; info != nil {
			id, pname = str(info.NodepoolId), str(info.Name)
		}
		if st := p.Status; st != nil {
			nodes, state = strconv.FormatInt(dara.Int64Value(st.TotalNodes), 10), str(st.State)
		}
		t.add(id, pname, nodes, state)
	}
	t.write(w)
}

// clusterDelete is "ackup cluster delete".
func clusterDelete(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	wait := fs.Bool("wait", false, "wait until the cluster is gone")
	interval := fs.Duration("interval", time.Second, "how often --wait polls")
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id := pos[0]
	resp, err := s.cs.DeleteCluster(dara.String(id), &cs.DeleteClusterRequest{})
	if err != nil {
		return err
	}
	err = s.out.emit(resp.Body, func(w io.Writer) {
		writeFields(w, field{"Cluster", id}, field{"State", "deleting"}, field{"Task", str(resp.Body.TaskId)})
	})
	if err != nil || !*wait {
		return err
	}
	return poll(ctx, *interval, func() (bool, error) {
		d, err := s.cs.DescribeClusterDetail(dara.String(id))
		if isAPICode(err, "ErrorClusterNotFound") {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		switch st := str(d.Body.State); st {
		case "deleted":
			return true, nil
		case "delete_failed", "failed":
			return false, &outcomeError{fmt.Sprintf("cluster %s is %s; 'ackup task list %s' tells why", id, st, id)}
		}
		return false, nil
	})
}
