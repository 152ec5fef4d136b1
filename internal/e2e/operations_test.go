package e2e

import (
	"fmt"
	"slices"
	"testing"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// TestClusterOperations drives every cluster operation of the foundation
// through the SDK, with each signature scheme.
func TestClusterOperations(t *testing.T) {
	e := start(t)
	e.clients(t, func(t *testing.T, c *cs.Client) {
		// The catalogue, and what a version may be upgraded to.
		vs, err := c.DescribeKubernetesVersionMetadata(&cs.DescribeKubernetesVersionMetadataRequest{Region: dara.String("cn-hangzhou"),
			ClusterType: dara.String("ManagedKubernetes"), Mode: dara.String("supported")})
		if err != nil || len(vs.Body) < 8 {
			t.Fatalf("DescribeKubernetesVersionMetadata: %d versions, %v", len(vs.Body), err)
		}
		up, err := c.DescribeKubernetesVersionMetadata(&cs.DescribeKubernetesVersionMetadataRequest{Region: dara.String("cn-hangzhou"),
			ClusterType: dara.String("ManagedKubernetes"), KubernetesVersion: dara.String("1.32.7-aliyun.1"), QueryUpgradableVersion: dara.Bool(true)})
		if err != nil || len(up.Body) != 1 || !slices.ContainsFunc(up.Body[0].UpgradableVersions, func(s *string) bool { return dara.StringValue(s) == "1.33.3-aliyun.1" }) {
			t.Fatalf("upgradable versions of 1.32.7: %v %v", up, err)
		}

		// CreateCluster with the deprecated num_of_nodes, and with node pools.
		old, err := c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("legacy-count"), RegionId: dara.String("cn-beijing"),
			KubernetesVersion: dara.String("1.31.9-aliyun.1"), NumOfNodes: dara.Int64(3)})
		if err != nil {
			t.Fatal(err)
		}
		if tid := dara.StringValue(old.Body.TaskId); len(tid) != 26 || tid[:2] != "T-" {
			t.Fatalf("task id %q is not in ACK's form", tid)
		}
		info, err := c.DescribeTaskInfo(old.Body.TaskId)
		if err != nil || dara.StringValue(info.Body.TaskType) != "cluster_create" || dara.StringValue(info.Body.ClusterId) != dara.StringValue(old.Body.ClusterId) {
			t.Fatalf("create task: %v %v", info, err)
		}
		id := e.createCluster(t, c, "1.32.7-aliyun.1", map[string]string{"team": "infra"}, 2, 3)
		eventually(t, 20e9, "legacy cluster running", func() error {
			d, err := c.DescribeClusterDetail(old.Body.ClusterId)
			if err != nil || dara.StringValue(d.Body.State) != "running" {
				return fmt.Errorf("%v %v", d, err)
			}
			return nil
		})
		if info, _ = c.DescribeTaskInfo(old.Body.TaskId); dara.StringValue(info.Body.State) != "success" {
			t.Fatalf("create task ended %s", dara.StringValue(info.Body.State))
		}

		d, err := c.DescribeClusterDetail(dara.String(id))
		if err != nil {
			t.Fatal(err)
		}
		b := d.Body
		if dara.Int64Value(b.Size) != 5 || dara.StringValue(b.CurrentVersion) != "1.32.7-aliyun.1" || dara.StringValue(b.NextVersion) != "1.33.3-aliyun.1" ||
			dara.StringValue(b.ClusterType) != "ManagedKubernetes" || dara.StringValue(b.RegionId) != "cn-hangzhou" || len(b.Tags) != 1 {
			t.Fatalf("DescribeClusterDetail: %s", b.String())
		}

		// DescribeClustersV1: filters and paging.
		list, err := c.DescribeClustersV1(&cs.DescribeClustersV1Request{RegionId: dara.String("cn-beijing"), PageSize: dara.Int64(10)})
		if err != nil || len(list.Body.Clusters) != 1 || dara.StringValue(list.Body.Clusters[0].Name) != "legacy-count" {
			t.Fatalf("filter by region: %v %v", list, err)
		}
		page, err := c.DescribeClustersV1(&cs.DescribeClustersV1Request{PageSize: dara.Int64(1), PageNumber: dara.Int64(2)})
		if err != nil || len(page.Body.Clusters) != 1 || dara.Int32Value(page.Body.PageInfo.TotalCount) < 2 || dara.Int32Value(page.Body.PageInfo.PageNumber) != 2 {
			t.Fatalf("paging: %v %v", page, err)
		}

		// Node pools and nodes.
		pools, err := c.DescribeClusterNodePools(dara.String(id), &cs.DescribeClusterNodePoolsRequest{NodepoolName: dara.String("pool-2")})
		if err != nil || len(pools.Body.Nodepools) != 1 || dara.Int64Value(pools.Body.Nodepools[0].Status.TotalNodes) != 3 ||
			dara.StringValue(pools.Body.Nodepools[0].Status.State) != "active" {
			t.Fatalf("DescribeClusterNodePools: %v %v", pools, err)
		}
		pool2 := pools.Body.Nodepools[0].NodepoolInfo.NodepoolId
		nodes, err := c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{NodepoolId: pool2, PageSize: dara.String("2"), PageNumber: dara.String("2")})
		if err != nil || len(nodes.Body.Nodes) != 1 || dara.Int32Value(nodes.Body.Page.TotalCount) != 3 {
			t.Fatalf("DescribeClusterNodes page 2 of pool-2: %v %v", nodes, err)
		}
		one := nodes.Body.Nodes[0]
		byID, err := c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{InstanceIds: one.InstanceId})
		if err != nil || len(byID.Body.Nodes) != 1 || dara.StringValue(byID.Body.Nodes[0].NodeName) != dara.StringValue(one.NodeName) ||
			dara.StringValue(one.NodeStatus) != "Ready" {
			t.Fatalf("DescribeClusterNodes by instance id: %v %v", byID, err)
		}

		// Checks.
		run, err := c.RunClusterCheck(dara.String(id), &cs.RunClusterCheckRequest{Type: dara.String("NodePoolUpgrade"), Target: pool2,
			Options: map[string]*string{"targetVersion": dara.String("1.32.7-aliyun.1")}})
		if err != nil || dara.StringValue(run.Body.CheckId) == "" {
			t.Fatalf("RunClusterCheck: %v %v", run, err)
		}
		chk, err := c.GetClusterCheck(dara.String(id), run.Body.CheckId)
		if err != nil || dara.StringValue(chk.Body.Status) != "Succeeded" || len(chk.Body.CheckItems) == 0 || dara.StringValue(chk.Body.Type) != "NodePoolUpgrade" {
			t.Fatalf("GetClusterCheck: %v %v", chk, err)
		}
		checks, err := c.ListClusterChecks(dara.String(id), &cs.ListClusterChecksRequest{Type: dara.String("NodePoolUpgrade")})
		if err != nil || len(checks.Body.Checks) != 1 {
			t.Fatalf("ListClusterChecks: %v %v", checks, err)
		}

		// DeleteCluster: 202, a readable delete task, then not found everywhere.
		del, err := c.DeleteCluster(old.Body.ClusterId, &cs.DeleteClusterRequest{RetainAllResources: dara.Bool(false)})
		if err != nil || dara.Int32Value(del.StatusCode) != 202 {
			t.Fatalf("DeleteCluster: %v %v", del, err)
		}
		if info, err := c.DescribeTaskInfo(del.Body.TaskId); err != nil || dara.StringValue(info.Body.TaskType) != "cluster_delete" || dara.StringValue(info.Body.State) != "success" {
			t.Fatalf("delete task: %v %v", info, err)
		}
		gone := old.Body.ClusterId
		for name, call := range map[string]func() error{
			"detail": func() error { _, err := c.DescribeClusterDetail(gone); return err },
			"status": func() error { _, err := c.GetUpgradeStatus(gone); return err },
			"pools": func() error {
				_, err := c.DescribeClusterNodePools(gone, &cs.DescribeClusterNodePoolsRequest{})
				return err
			},
			"nodes": func() error { _, err := c.DescribeClusterNodes(gone, &cs.DescribeClusterNodesRequest{}); return err },
			"tasks": func() error { _, err := c.DescribeClusterTasks(gone, &cs.DescribeClusterTasksRequest{}); return err },
			"upgrade": func() error {
				_, err := c.UpgradeCluster(gone, &cs.UpgradeClusterRequest{NextVersion: dara.String("1.32.1-aliyun.1")})
				return err
			},
			"checks": func() error { _, err := c.ListClusterChecks(gone, &cs.ListClusterChecksRequest{}); return err },
			"delete": func() error { _, err := c.DeleteCluster(gone, &cs.DeleteClusterRequest{}); return err },
		} {
			t.Run("deleted/"+name, func(t *testing.T) { sdkErr(t, call(), "ErrorClusterNotFound", 404) })
		}
	})
}
