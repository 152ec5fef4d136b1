package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/ackup/ackup/internal/upgrade"
)

const nodePoolColumns = `id, cluster_id, name, is_default, desired_size, instance_types,
	vswitch_ids, state, created, updated`

func nodePoolArgs(np upgrade.NodePool) ([]any, error) {
	types, err := toJSON(np.InstanceTypes)
	if err != nil {
		return nil, err
	}
	vswitches, err := toJSON(np.VSwitchIDs)
	if err != nil {
		return nil, err
	}
	return []any{np.ID, np.ClusterID, np.Name, np.IsDefault, np.DesiredSize, types,
		vswitches, np.State, toNanos(np.Created), toNanos(np.Updated)}, nil
}

func scanNodePool(r rowScanner) (upgrade.NodePool, error) {
	var (
		np               upgrade.NodePool
		types, vswitches string
		created, updated int64
	)
	err := r.Scan(&np.ID, &np.ClusterID, &np.Name, &np.IsDefault, &np.DesiredSize, &types,
		&vswitches, &np.State, &created, &updated)
	if err != nil {
		return upgrade.NodePool{}, mapErr(err)
	}
	np.Created, np.Updated = fromNanos(created), fromNanos(updated)
	if err := fromJSON(types, &np.InstanceTypes); err != nil {
		return upgrade.NodePool{}, err
	}
	if err := fromJSON(vswitches, &np.VSwitchIDs); err != nil {
		return upgrade.NodePool{}, err
	}
	return np, nil
}

// NodePoolInsert records a new node pool; an existing id is
// store.ErrConflict.
func (q *queries) NodePoolInsert(ctx context.Context, np upgrade.NodePool) error {
	args, err := nodePoolArgs(np)
	if err != nil {
		return fmt.Errorf("insert node pool %s: %w", np.ID, err)
	}
	_, err = q.writer().ExecContext(ctx, `INSERT INTO node_pools (`+nodePoolColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("insert node pool %s: %w", np.ID, mapErr(err))
	}
	return nil
}

// NodePoolGet returns a node pool of the cluster.
func (q *queries) NodePoolGet(ctx context.Context, clusterID, id string) (upgrade.NodePool, error) {
	row := q.reader().QueryRowContext(ctx, `SELECT `+nodePoolColumns+` FROM node_pools
		WHERE cluster_id = ? AND id = ?`, clusterID, id)
	np, err := scanNodePool(row)
	if err != nil {
		return upgrade.NodePool{}, fmt.Errorf("get node pool %s of cluster %s: %w", id, clusterID, err)
	}
	return np, nil
}

// NodePoolList returns the cluster's node pools, oldest first.
func (q *queries) NodePoolList(ctx context.Context, clusterID string) ([]upgrade.NodePool, error) {
	rows, err := q.reader().QueryContext(ctx, `SELECT `+nodePoolColumns+` FROM node_pools
		WHERE cluster_id = ? ORDER BY created, id`, clusterID)
	list, err := collect(rows, err, scanNodePool)
	if err != nil {
		return nil, fmt.Errorf("list node pools of cluster %s: %w", clusterID, err)
	}
	return list, nil
}

// NodePoolUpdate writes every field of np.
func (q *queries) NodePoolUpdate(ctx context.Context, np upgrade.NodePool) error {
	args, err := nodePoolArgs(np)
	if err != nil {
		return fmt.Errorf("update node pool %s: %w", np.ID, err)
	}
	err = execOne(ctx, q.writer(), `UPDATE node_pools SET
		cluster_id = ?2, name = ?3, is_default = ?4, desired_size = ?5, instance_types = ?6,
		vswitch_ids = ?7, state = ?8, created = ?9, updated = ?10
		WHERE id = ?1`, args...)
	if err != nil {
		return fmt.Errorf("update node pool %s: %w", np.ID, err)
	}
	return nil
}

const nodeColumns = `cluster_id, instance_id, node_pool_id, name, ip, instance_type, version,
	status, unschedulable, upgrading, state, created, updated`

func nodeArgs(n upgrade.Node) []any {
	return []any{n.ClusterID, n.InstanceID, n.NodePoolID, n.Name, n.IP, n.InstanceType, n.Version,
		n.Status, n.Unschedulable, n.Upgrading, n.State, toNanos(n.Created), toNanos(n.Updated)}
}

func scanNode(r rowScanner) (upgrade.Node, error) {
	var (
		n                upgrade.Node
		created, updated int64
	)
	err := r.Scan(&n.ClusterID, &n.InstanceID, &n.NodePoolID, &n.Name, &n.IP, &n.InstanceType, &n.Version,
		&n.Status, &n.Unschedulable, &n.Upgrading, &n.State, &created, &updated)
	if err != nil {
		return upgrade.Node{}, mapErr(err)
	}
	n.Created, n.Updated = fromNanos(created), fromNanos(updated)
	return n, nil
}

// NodeInsert records a new node; a cluster has an instance once, a second
// insert is store.ErrConflict.
func (q *queries) NodeInsert(ctx context.Context, n upgrade.Node) error {
	_, err := q.writer().ExecContext(ctx, `INSERT INTO nodes (`+nodeColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, nodeArgs(n)...)
	if err != nil {
		return fmt.Errorf("insert node %s: %w", n.InstanceID, mapErr(err))
	}
	return nil
}

// NodeList returns one page of the cluster's matching nodes, ordered by
// their pool's creation and then by name, and the number of matches.
func (q *queries) NodeList(ctx context.Context, p upgrade.NodeListParams) ([]upgrade.Node, int, error) {
	where := []string{`n.cluster_id = ?`}
	args := []any{p.ClusterID}
	if p.NodePoolID != "" {
		where = append(where, `n.node_pool_id = ?`)
		args = append(args, p.NodePoolID)
	}
	if len(p.InstanceIDs) > 0 {
		where = append(where, `n.instance_id IN (?`+strings.Repeat(`, ?`, len(p.InstanceIDs)-1)+`)`)
		for _, id := range p.InstanceIDs {
			args = append(args, id)
		}
	}
	cond := strings.Join(where, " AND ")

	var (
		list  []upgrade.Node
		total int
	)
	err := q.readTx(ctx, func(db dbtx) error {
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM nodes n WHERE `+cond, args...).Scan(&total)
		if err != nil {
			return err
		}
		limit, offset := page(p.Offset, p.Limit)
		cols := "n." + strings.ReplaceAll(nodeColumns, ", ", ", n.")
		rows, err := db.QueryContext(ctx, `SELECT `+cols+` FROM nodes n
			LEFT JOIN node_pools np ON np.id = n.node_pool_id
			WHERE `+cond+`
			ORDER BY np.created, np.id, n.name, n.instance_id LIMIT ? OFFSET ?`,
			append(args, limit, offset)...)
		list, err = collect(rows, err, scanNode)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list nodes of cluster %s: %w", p.ClusterID, err)
	}
	return list, total, nil
}

// NodeUpdate writes every field of n, found by cluster and instance id.
func (q *queries) NodeUpdate(ctx context.Context, n upgrade.Node) error {
	err := execOne(ctx, q.writer(), `UPDATE nodes SET
		node_pool_id = ?3, name = ?4, ip = ?5, instance_type = ?6, version = ?7, status = ?8,
		unschedulable = ?9, upgrading = ?10, state = ?11, created = ?12, updated = ?13
		WHERE cluster_id = ?1 AND instance_id = ?2`, nodeArgs(n)...)
	if err != nil {
		return fmt.Errorf("update node %s: %w", n.InstanceID, err)
	}
	return nil
}
