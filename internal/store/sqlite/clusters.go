package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/ackup/ackup/internal/upgrade"
)

const clusterColumns = `id, account_id, name, region_id, cluster_type, cluster_spec, profile,
	current_version, init_version, target_version, state, vpc_id, vswitch_ids,
	container_cidr, service_cidr, tags, executor, executor_config, deletion_protect,
	created, updated`

// clusterGetSQL is also prepared on the reader (see hotStmts): ClusterGet is
// half of GetUpgradeStatus. An empty account matches any.
const clusterGetSQL = `SELECT ` + clusterColumns + ` FROM clusters
	WHERE id = ? AND state <> 'deleted' AND (? = '' OR account_id = ?)`

// clusterArgs returns c's columns in clusterColumns order.
func clusterArgs(c upgrade.Cluster) ([]any, error) {
	vswitches, err := toJSON(c.VSwitchIDs)
	if err != nil {
		return nil, err
	}
	tags, err := toJSON(c.Tags)
	if err != nil {
		return nil, err
	}
	return []any{c.ID, c.AccountID, c.Name, c.RegionID, c.ClusterType, c.ClusterSpec, c.Profile,
		c.CurrentVersion, c.InitVersion, c.TargetVersion, string(c.State), c.VpcID, vswitches,
		c.ContainerCIDR, c.ServiceCIDR, tags, c.Executor, c.ExecutorConfig, c.DeletionProtect,
		toNanos(c.Created), toNanos(c.Updated)}, nil
}

func scanCluster(r rowScanner) (upgrade.Cluster, error) {
	var (
		c                upgrade.Cluster
		vswitches, tags  string
		created, updated int64
	)
	err := r.Scan(&c.ID, &c.AccountID, &c.Name, &c.RegionID, &c.ClusterType, &c.ClusterSpec, &c.Profile,
		&c.CurrentVersion, &c.InitVersion, &c.TargetVersion, &c.State, &c.VpcID, &vswitches,
		&c.ContainerCIDR, &c.ServiceCIDR, &tags, &c.Executor, &c.ExecutorConfig, &c.DeletionProtect,
		&created, &updated)
	if err != nil {
		return upgrade.Cluster{}, mapErr(err)
	}
	c.Created, c.Updated = fromNanos(created), fromNanos(updated)
	if err := fromJSON(vswitches, &c.VSwitchIDs); err != nil {
		return upgrade.Cluster{}, err
	}
	if err := fromJSON(tags, &c.Tags); err != nil {
		return upgrade.Cluster{}, err
	}
	return c, nil
}

// ClusterInsert records a new cluster; an existing id is store.ErrConflict.
func (q *queries) ClusterInsert(ctx context.Context, c upgrade.Cluster) error {
	args, err := clusterArgs(c)
	if err != nil {
		return fmt.Errorf("insert cluster %s: %w", c.ID, err)
	}
	_, err = q.writer().ExecContext(ctx, `INSERT INTO clusters (`+clusterColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return fmt.Errorf("insert cluster %s: %w", c.ID, mapErr(err))
	}
	return nil
}

// ClusterGet returns a cluster of accountID (any account if empty); deleted
// clusters are store.ErrNotFound.
func (q *queries) ClusterGet(ctx context.Context, accountID, id string) (upgrade.Cluster, error) {
	row := q.hotRow(ctx, q.db.hot.clusterGet, clusterGetSQL, id, accountID, accountID)
	c, err := scanCluster(row)
	if err != nil {
		return upgrade.Cluster{}, fmt.Errorf("get cluster %s: %w", id, err)
	}
	return c, nil
}

// ClusterUpdate writes every field of c; a missing cluster is
// store.ErrNotFound.
func (q *queries) ClusterUpdate(ctx context.Context, c upgrade.Cluster) error {
	args, err := clusterArgs(c)
	if err != nil {
		return fmt.Errorf("update cluster %s: %w", c.ID, err)
	}
	err = execOne(ctx, q.writer(), `UPDATE clusters SET
		account_id = ?2, name = ?3, region_id = ?4, cluster_type = ?5, cluster_spec = ?6,
		profile = ?7, current_version = ?8, init_version = ?9, target_version = ?10, state = ?11,
		vpc_id = ?12, vswitch_ids = ?13, container_cidr = ?14, service_cidr = ?15, tags = ?16,
		executor = ?17, executor_config = ?18, deletion_protect = ?19, created = ?20, updated = ?21
		WHERE id = ?1`, args...)
	if err != nil {
		return fmt.Errorf("update cluster %s: %w", c.ID, err)
	}
	return nil
}

// ClusterList returns one page of the matching clusters that are not
// deleted, oldest first, and the number of matches.
func (q *queries) ClusterList(ctx context.Context, p upgrade.ClusterListParams) ([]upgrade.Cluster, int, error) {
	where := []string{`state <> 'deleted'`}
	var args []any
	filter := func(cond, v string) {
		if v != "" {
			where = append(where, cond)
			args = append(args, v)
		}
	}
	filter(`account_id = ?`, p.AccountID)
	filter(`id = ?`, p.ClusterID)
	filter(`instr(name, ?) > 0`, p.Name) // a substring, not a LIKE pattern
	filter(`cluster_type = ?`, p.ClusterType)
	filter(`cluster_spec = ?`, p.ClusterSpec)
	filter(`profile = ?`, p.Profile)
	filter(`region_id = ?`, p.RegionID)
	cond := strings.Join(where, " AND ")

	var (
		list  []upgrade.Cluster
		total int
	)
	err := q.readTx(ctx, func(db dbtx) error {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM clusters WHERE `+cond, args...).Scan(&total); err != nil {
			return err
		}
		limit, offset := page(p.Offset, p.Limit)
		rows, err := db.QueryContext(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE `+cond+
			` ORDER BY created, id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
		list, err = collect(rows, err, scanCluster)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list clusters: %w", err)
	}
	return list, total, nil
}

// AccessKeyPut inserts or replaces an access key.
func (q *queries) AccessKeyPut(ctx context.Context, k upgrade.AccessKey) error {
	_, err := q.writer().ExecContext(ctx, `INSERT INTO access_keys (id, account_id, secret_enc, active, created)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET account_id = excluded.account_id,
			secret_enc = excluded.secret_enc, active = excluded.active, created = excluded.created`,
		k.ID, k.AccountID, k.SecretEnc, k.Active, toNanos(k.Created))
	if err != nil {
		return fmt.Errorf("put access key %s: %w", k.ID, mapErr(err))
	}
	return nil
}

const accessKeyColumns = `id, account_id, secret_enc, active, created`

func scanAccessKey(r rowScanner) (upgrade.AccessKey, error) {
	var (
		k       upgrade.AccessKey
		created int64
	)
	if err := r.Scan(&k.ID, &k.AccountID, &k.SecretEnc, &k.Active, &created); err != nil {
		return upgrade.AccessKey{}, mapErr(err)
	}
	k.Created = fromNanos(created)
	return k, nil
}

// AccessKeyGet returns an access key by id.
func (q *queries) AccessKeyGet(ctx context.Context, id string) (upgrade.AccessKey, error) {
	row := q.reader().QueryRowContext(ctx, `SELECT `+accessKeyColumns+` FROM access_keys WHERE id = ?`, id)
	k, err := scanAccessKey(row)
	if err != nil {
		return upgrade.AccessKey{}, fmt.Errorf("get access key %s: %w", id, err)
	}
	return k, nil
}

// AccessKeyList returns every access key, oldest first.
func (q *queries) AccessKeyList(ctx context.Context) ([]upgrade.AccessKey, error) {
	rows, err := q.reader().QueryContext(ctx, `SELECT `+accessKeyColumns+` FROM access_keys ORDER BY created, id`)
	keys, err := collect(rows, err, scanAccessKey)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return keys, nil
}
