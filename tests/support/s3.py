"""An S3-compatible server on loopback for the tests: moto's server mode, in a thread of the test
process, spoken to over real HTTP by boto3 exactly as a bucket of MinIO or AWS would be."""
from __future__ import annotations

import uuid
from contextlib import closing
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

from server.media.s3 import S3Settings

REGION = "us-east-1"
ACCESS_KEY_ID = "lastmeter-test"
SECRET_ACCESS_KEY = "lastmeter-test-secret"


@dataclass
class S3Server:
    endpoint_url: str
    server: ThreadedMotoServer

    def create_bucket(self) -> str:
        """A new, empty bucket: tests never see each other's objects."""
        name = f"lastmeter-{uuid.uuid4().hex[:12]}"
        with self.client() as client:
            client.create_bucket(Bucket=name)
        return name

    def list_keys(self, bucket: str) -> list[str]:
        with self.client() as client:
            return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def settings(self, bucket: str, prefix: str = "") -> S3Settings:
        return S3Settings(bucket=bucket, endpoint_url=self.endpoint_url, region=REGION,
                          access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY, prefix=prefix)

    def app_config(self, bucket: str) -> dict[str, object]:
        """The settings that run the app on this server's bucket."""
        return {"MEDIA_BACKEND": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint_url,
                "S3_REGION": REGION, "S3_ACCESS_KEY_ID": ACCESS_KEY_ID, "S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY}

    def client(self) -> closing:
        """A boto3 client for a ``with`` block, its connections released at the end."""
        return closing(boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY))

    def stop(self) -> None:
        self.server.stop()


def start_s3_server() -> S3Server:
    """Start moto's server on a free loopback port; it answers for any bucket created on it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return S3Server(f"http://{host}:{port}", server)
