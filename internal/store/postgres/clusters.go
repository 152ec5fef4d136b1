package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ackup/ackup/internal/upgrade"
)

const clusterColumns = `id, account_id, name, region_id, cluster_type, cluster_spec, profile,
	current_version, init_version, target_version, state, vpc_id, vswitch_ids,
	container_cidr, service_cidr, tags, executor, executor_config, deletion_protect,
	created, updated`

// clusterArgs lists c's fields in clusterColumns order.
func clusterArgs(c upgrade.Cluster) []any {
	return []any{c.ID, c.AccountID, c.Name, c.RegionID, c.ClusterType, c.ClusterSpec, c.Profile,
		c.CurrentVersion, c.InitVersion, c.TargetVersion, string(c.State), c.VpcID, c.VSwitchIDs,
		c.ContainerCIDR, c.ServiceCIDR, jsonArg{c.Tags}, c.Executor, c.ExecutorConfig, c.DeletionProtect,
		c.Created, c.Updated}
}

func scanCluster(row scanner) (upgrade.Cluster, error) {
	var c upgrade.Cluster
	err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.RegionID, &c.ClusterType, &c.ClusterSpec, &c.Profile,
		&c.CurrentVersion, &c.InitVersion, &c.TargetVersion, &c.State, &c.VpcID, &c.VSwitchIDs,
		&c.ContainerCIDR, &c.ServiceCIDR, &c.Tags, &c.Executor, &c.ExecutorConfig, &c.DeletionProtect,
		&c.Created, &c.Updated)
	c.Created, c.Updated = c.Created.UTC(), c.Updated.UTC()
	return c, err
}

// ClusterInsert records a new cluster; an existing ID is ErrConflict.
func (q queries) ClusterInsert(ctx context.Context, c upgrade.Cluster) error {
	_, err := q.db.Exec(ctx, `INSERT INTO clusters (`+clusterColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		clusterArgs(c)...)
	if err != nil {
		return fmt.Errorf("insert cluster %s: %w", c.ID, dbErr(err))
	}
	return nil
}

// ClusterGet returns a cluster of accountID (any account if empty); deleted
// clusters are ErrNotFound.
func (q queries) ClusterGet(ctx context.Context, accountID, id string) (upgrade.Cluster, error) {
	row := q.db.QueryRow(ctx, `SELECT `+clusterColumns+` FROM clusters
		WHERE id = $1 AND ($2 = '' OR account_id = $2) AND state <> $3`,
		id, accountID, string(upgrade.ClusterDeleted))
	c, err := scanCluster(row)
	if err != nil {
		return upgrade.Cluster{}, fmt.Errorf("get cluster %s: %w", id, dbErr(err))
	}
	return c, nil
}

// ClusterUpdate writes every field of c to the cluster with c's ID.
func (q queries) ClusterUpdate(ctx context.Context, c upgrade.Cluster) error {
	err := mustAffect(q.db.Exec(ctx, `UPDATE clusters SET (`+clusterColumns+`)
		= ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
		WHERE id = $1`, clusterArgs(c)...))
	if err != nil {
		return fmt.Errorf("update cluster %s: %w", c.ID, err)
	}
	return nil
}

// ClusterList returns one page of the clusters matching p (oldest first,
// deleted ones never) and how many match in all. Empty filters match all;
// Name matches a substring; a Limit of 0 means no limit.
func (q queries) ClusterList(ctx context.Context, p upgrade.ClusterListParams) ([]upgrade.Cluster, int, error) {
	const where = ` FROM clusters WHERE state <> $1
		AND ($2 = '' OR account_id = $2) AND ($3 = '' OR id = $3)
		AND ($4 = '' OR strpos(name, $4) > 0) AND ($5 = '' OR cluster_type = $5)
		AND ($6 = '' OR cluster_spec = $6) AND ($7 = '' OR profile = $7)
		AND ($8 = '' OR region_id = $8)`
	args := []any{string(upgrade.ClusterDeleted), p.AccountID, p.ClusterID, p.Name,
		p.ClusterType, p.ClusterSpec, p.Profile, p.RegionID}

	var total int
	if err := q.db.QueryRow(ctx, "SELECT count(*)"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count clusters: %w", err)
	}
	rows, err := q.db.Query(ctx, "SELECT "+clusterColumns+where+" ORDER BY created, id OFFSET $9 LIMIT $10",
		append(args, max(p.Offset, 0), limitArg(p.Limit))...)
	if err != nil {
		return nil, 0, fmt.Errorf("list clusters: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.Cluster, error) { return scanCluster(r) })
	if err != nil {
		return nil, 0, fmt.Errorf("list clusters: %w", err)
	}
	return cs, total, nil
}

const checkColumns = `cluster_id, id, type, target, options, status, message, items, created, finished`

// checkArgs lists c's fields in checkColumns order.
func checkArgs(c upgrade.Check) []any {
	return []any{c.ClusterID, c.ID, c.Type, c.Target, jsonArg{c.Options}, c.Status, c.Message,
		jsonArg{c.Items}, c.Created, c.Finished}
}

func scanCheck(row scanner) (upgrade.Check, error) {
	var c upgrade.Check
	err := row.Scan(&c.ClusterID, &c.ID, &c.Type, &c.Target, &c.Options, &c.Status, &c.Message,
		&c.Items, &c.Created, &c.Finished)
	c.Created, c.Finished = c.Created.UTC(), c.Finished.UTC()
	return c, err
}

// CheckInsert records a new check run; an ID already used in the cluster is
// ErrConflict.
func (q queries) CheckInsert(ctx context.Context, c upgrade.Check) error {
	_, err := q.db.Exec(ctx, `INSERT INTO checks (`+checkColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, checkArgs(c)...)
	if err != nil {
		return fmt.Errorf("insert check %s: %w", c.ID, dbErr(err))
	}
	return nil
}

// CheckGet returns the check id of cluster clusterID.
func (q queries) CheckGet(ctx context.Context, clusterID, id string) (upgrade.Check, error) {
	row := q.db.QueryRow(ctx, `SELECT `+checkColumns+` FROM checks WHERE cluster_id = $1 AND id = $2`,
		clusterID, id)
	c, err := scanCheck(row)
	if err != nil {
		return upgrade.Check{}, fmt.Errorf("get check %s: %w", id, dbErr(err))
	}
	return c, nil
}

// CheckUpdate writes every field of c to the check with c's cluster and ID.
func (q queries) CheckUpdate(ctx context.Context, c upgrade.Check) error {
	err := mustAffect(q.db.Exec(ctx, `UPDATE checks SET (`+checkColumns+`)
		= ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		WHERE cluster_id = $1 AND id = $2`, checkArgs(c)...))
	if err != nil {
		return fmt.Errorf("update check %s: %w", c.ID, err)
	}
	return nil
}

// CheckList returns the cluster's checks of type typ on target, newest
// first; an empty typ or target matches all.
func (q queries) CheckList(ctx context.Context, clusterID, typ, target string) ([]upgrade.Check, error) {
	rows, err := q.db.Query(ctx, `SELECT `+checkColumns+` FROM checks
		WHERE cluster_id = $1 AND ($2 = '' OR type = $2) AND ($3 = '' OR target = $3)
		ORDER BY created DESC, id DESC`, clusterID, typ, target)
	if err != nil {
		return nil, fmt.Errorf("list checks of %s: %w", clusterID, err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (upgrade.Check, error) { return scanCheck(r) })
	if err != nil {
		return nil, fmt.Errorf("list checks of %s: %w", clusterID, err)
	}
	return cs, nil
}
