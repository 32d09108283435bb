"""The findings inventory: scans of (account, region, kind) targets stored in the
database, read by every listing, the digest and budget proposals; and the requests
opened from a listing."""
