"""The S3-compatible storage backend (AWS S3, MinIO, Ceph, Garage, ...), through boto3.

Configured by ``S3_BUCKET``, ``S3_ENDPOINT_URL`` (empty for AWS itself),
``S3_REGION``, ``S3_ACCESS_KEY_ID``, ``S3_SECRET_ACCESS_KEY`` (empty: boto3's usual
credential chain, e.g. an instance role) and ``S3_PREFIX`` (a folder inside the
bucket, so one bucket can hold several sites).

Serving: :meth:`S3Storage.send` *streams the object through the web process*,
passing the viewer's Range on to S3, rather than redirecting to a presigned URL.
Why:

* the media are minors' videos: every byte goes out after Karya's own access
  check, and no bearer URL exists that could be copied into a chat and opened by
  anyone until it expires;
* the player stays on Karya's origin, so the Content-Security-Policy keeps
  ``media-src 'self'`` and ``img-src 'self'`` without naming the bucket's host;
* the storyboard's WebVTT refers to its sprite by a relative URL; after a redirect
  it would resolve against the bucket's host, outside the signed URL, and fail.

The cost is a web thread per stream while it plays; Karya's gunicorn runs gthread
workers for that reason, and seeking only ever fetches the ranges it needs.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from typing import Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from flask import Response, abort, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import http_date

from .storage import Storage, attachment_header, cache_control, check_key

_STREAM_CHUNK = 256 * 1024
_DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts


class S3Storage(Storage):
    """Objects in one bucket, under an optional key prefix."""

    def __init__(self, client, bucket: str, prefix: str = "", scratch_dir: str | None = None):
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # Where local_path() downloads objects for ffmpeg.
        self.scratch_dir = scratch_dir

    @classmethod
    def from_config(cls, config) -> "S3Storage":
        """Build the backend from an app's config mapping."""
        if not config.get("S3_BUCKET"):
            raise RuntimeError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        endpoint = config.get("S3_ENDPOINT_URL") or None
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=config.get("S3_REGION") or "us-east-1",
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            # Self-hosted servers (MinIO and the like) rarely have per-bucket DNS names.
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"},
                          s3={"addressing_style": "path" if endpoint else "auto"}),
        )
        scratch = os.path.join(config["MEDIA_ROOT"], "tmp")
        return cls(client, config["S3_BUCKET"], config.get("S3_PREFIX") or "", scratch_dir=scratch)

    def object_key(self, key: str) -> str:
        """The key inside the bucket."""
        return self.prefix + check_key(key)

    def _head(self, key: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def put_file(self, key, src_path, content_type=None):
        extra = {"ContentType": content_type} if content_type else {}
        # upload_file sends big files as a multipart upload, reading them from disk in parts.
        self.client.upload_file(os.fspath(src_path), self.bucket, self.object_key(key), ExtraArgs=extra)
        os.unlink(src_path)

    @contextmanager
    def local_path(self, key) -> Iterator[str]:
        if self._head(key) is None:
            raise FileNotFoundError(key)
        if self.scratch_dir:
            os.makedirs(self.scratch_dir, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="s3-", dir=self.scratch_dir) as folder:
            path = os.path.join(folder, "object")
            self.client.download_file(self.bucket, self.object_key(key), path)
            yield path

    def exists(self, key):
        return self._head(key) is not None

    def size(self, key):
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def delete_prefix(self, prefix):
        folder = self.object_key(prefix.rstrip("/")) + "/"
        count = 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=folder,
                                       PaginationConfig={"PageSize": _DELETE_BATCH}):
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
                count += len(objects)
        return count

    def send(self, key, *, mimetype, download_name=None, max_age=0):
        head = self._head(key)
        if head is None:
            abort(404)
        size, etag = int(head["ContentLength"]), head.get("ETag", "").strip('"')
        headers = {"Accept-Ranges": "bytes", "Cache-Control": cache_control(max_age)}
        if etag:
            headers["ETag"] = f'"{etag}"'
        if head.get("LastModified"):
            headers["Last-Modified"] = http_date(head["LastModified"])
        if download_name is not None:
            headers["Content-Disposition"] = attachment_header(download_name)
        if etag and etag in request.if_none_match:
            return Response(status=304, headers=headers)

        byte_range = self._requested_range(size, etag)
        get_args = {"Bucket": self.bucket, "Key": self.object_key(key)}
        status, length = 200, size
        if byte_range is not None:
            start, stop = byte_range
            get_args["Range"] = f"bytes={start}-{stop - 1}"
            headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
            status, length = 206, stop - start
        body = self.client.get_object(**get_args)["Body"]
        headers["Content-Length"] = str(length)
        return Response(_stream(body), status=status, headers=headers, mimetype=mimetype,
                        direct_passthrough=True)

    @staticmethod
    def _requested_range(size: int, etag: str) -> tuple[int, int] | None:
        """The single byte range asked for, as (start, stop); None for the whole object."""
        if request.range is None and request.headers.get("Range"):
            raise RequestedRangeNotSatisfiable(length=size)  # unparsable
        if request.range is None or request.range.units != "bytes":
            return None
        if_range = request.if_range
        if if_range.etag is not None or if_range.date is not None:
            # A stale If-Range gets the whole (new) object, as RFC 9110 says.
            if if_range.etag != etag:
                return None
        if len(request.range.ranges) != 1:
            return None  # multipart/byteranges is not worth it: players ask for one range
        found = request.range.range_for_length(size)
        if found is None:
            raise RequestedRangeNotSatisfiable(length=size)
        return found


def _stream(body) -> Iterator[bytes]:
    """Yield an S3 object body in small pieces, closing the connection however the client stops."""
    try:
        yield from body.iter_chunks(_STREAM_CHUNK)
    finally:
        body.close()
