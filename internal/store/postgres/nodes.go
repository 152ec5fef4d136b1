package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/upgrade"
)

const nodePoolColumns = `cluster_id, id, name, is_default, desired_size, instance_types, vswitch_ids,
	state, created, updated`

// nodePoolArgs lists np's fields in nodePoolColumns order.
func nodePoolArgs(np upgrade.NodePool) []any {
	return []any{np.ClusterID, np.ID, np.Name, np.IsDefault, np.DesiredSize, np.InstanceTypes, np.VSwitchIDs,
		np.State, np.Created, np.Updated}
}

func scanNodePool(row scanner) (upgrade.NodePool, error) {
	var np upgrade.NodePool
	err := row.Scan(&np.ClusterID, &np.ID, &np.Name, &np.IsDefault, &np.DesiredSize, &np.InstanceTypes,
		&np.VSwitchIDs, &np.State, &np.Created, &np.Updated)
	np.Created, np.Updated = np.Created.UTC(), np.Updated.UTC()
	return np, err
}

// NodePoolInsert records a new node pool; an ID already used in the cluster
// is ErrConflict.
func (q queries) NodePoolInsert(ctx context.Context, np upgrade.NodePool) error {
	_, err := q.db.Exec(ctx, `INSERT INTO node_pools (`+nodePoolColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, nodePoolArgs(np)...)
	if err != nil {
		return fmt.Errorf("insert node pool %s: %w", np.ID, dbErr(err))
	}
	return nil
}

// NodePoolGet returns the node pool id of cluster clusterID.
func (q queries) NodePoolGet(ctx context.Context, clusterID, id string) (upgrade.NodePool, error) {
	row := q.db.QueryRow(ctx, `SELECT `+nodePoolColumns+` FROM node_pools
		WHERE cluster_id = $1 AND id = $2`, clusterID, id)
	np, err := scanNodePool(row)
	if err != nil {
		return upgrade.NodePool{}, fmt.Errorf("get node pool %s: %w", id, dbErr(err))
	}
	return np, nil
}

// NodePoolList returns the cluster's node pools, oldest first.
func (q queries) NodePoolList(ctx context.Context, clusterID string) ([]upgrade.NodePool, error) {
	rows, err := q.db.Query(ctx, `SELECT `+nodePoolColumns+` FROM node_pools
		WHERE cluster_id = $1 ORDER BY created, id`, clusterID)
	if err != nil {
		return nil, fmt.Errorf("list node pools of %s: %w", clusterID, err)
	}
	nps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.NodePool, error) { return scanNodePool(r) })
	if err != nil {
		return nil, fmt.Errorf("list node pools of %s: %w", clusterID, err)
	}
	return nps, nil
}

// NodePoolUpdate writes every field of np to the node pool with np's
// cluster and ID.
func (q queries) NodePoolUpdate(ctx context.Context, np upgrade.NodePool) error {
	err := mustAffect(q.db.Exec(ctx, `UPDATE node_pools SET (`+nodePoolColumns+`)
		= ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		WHERE cluster_id = $1 AND id = $2`, nodePoolArgs(np)...))
	if err != nil {
		return fmt.Errorf("update node pool %s: %w", np.ID, err)
	}
	return nil
}

const nodeColumns = `cluster_id, instance_id, node_pool_id, name, ip, instance_type, version, status,
	unschedulable, upgrading, state, created, updated`

// nodeArgs lists n's fields in nodeColumns order.
func nodeArgs(n upgrade.Node) []any {
	return []any{n.ClusterID, n.InstanceID, n.NodePoolID, n.Name, n.IP, n.InstanceType, n.Version, n.Status,
		n.Unschedulable, n.Upgrading, n.State, n.Created, n.Updated}
}

func scanNode(row scanner) (upgrade.Node, error) {
	var n upgrade.Node
	err := row.Scan(&n.ClusterID, &n.InstanceID, &n.NodePoolID, &n.Name, &n.IP, &n.InstanceType, &n.Version,
		&n.Status, &n.Unschedulable, &n.Upgrading, &n.State, &n.Created, &n.Updated)
	n.Created, n.Updated = n.Created.UTC(), n.Updated.UTC()
	return n, err
}

// NodeInsert records a new node; an instance ID already in the cluster is
// ErrConflict.
func (q queries) NodeInsert(ctx context.Context, n upgrade.Node) error {
	_, err := q.db.Exec(ctx, `INSERT INTO nodes (`+nodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, nodeArgs(n)...)
	if err != nil {
		return fmt.Errorf("insert node %s: %w", n.InstanceID, dbErr(err))
	}
	return nil
}

// NodeList returns one page of the cluster's nodes matching p, ordered by
// node pool creation then node name, and how many match in all. Nodes of a
// pool that is not recorded come last.
func (q queries) NodeList(ctx context.Context, p upgrade.NodeListParams) ([]upgrade.Node, int, error) {
	const where = ` FROM nodes n
		LEFT JOIN node_pools np ON np.cluster_id = n.cluster_id AND np.id = n.node_pool_id
		WHERE n.cluster_id = $1 AND ($2 = '' OR n.node_pool_id = $2)
		AND (cardinality($3::text[]) = 0 OR n.instance_id = ANY($3))`
	ids := p.InstanceIDs
	if ids == nil {
		ids = []string{} // NULL would make cardinality NULL
	}
	args := []any{p.ClusterID, p.NodePoolID, ids}

	var total int
	if err := q.db.QueryRow(ctx, "SELECT count(*)"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count nodes of %s: %w", p.ClusterID, err)
	}
	rows, err := q.db.Query(ctx, `SELECT n.cluster_id, n.instance_id, n.node_pool_id, n.name, n.ip,
		n.instance_type, n.version, n.status, n.unschedulable, n.upgrading, n.state, n.created, n.updated`+
		where+` ORDER BY np.created NULLS LAST, n.node_pool_id, n.name, n.instance_id
		OFFSET $4 LIMIT $5`,
		append(args, max(p.Offset, 0), limitArg(p.Limit))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list nodes of %s: %w", p.ClusterID, err)
	}
	ns, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.Node, error) { return scanNode(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list nodes of %s: %w", p.ClusterID, err)
	}
	return ns, total, nil
}

// NodeUpdate writes every field of n to the node with n's cluster and
// instance ID.
func (q queries) NodeUpdate(ctx context.Context, n upgrade.Node) error {
	err := mustAffect(q.db.Exec(ctx, `UPDATE nodes SET (`+nodeColumns+`)
		= ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		WHERE cluster_id = $1 AND instance_id = $2`, nodeArgs(n)...))
	if err != nil {
		return fmt.Errorf("update node %s: %w", n.InstanceID, err)
	}
	return nil
}
