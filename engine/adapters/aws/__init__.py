"""AWS through boto3: RDS replicas and their CloudWatch lag (``rds``); S3 buckets as object
stores (``s3``, with a faster listing and GetObject in ``s3_listing`` and ``s3_get``) and their
change feed from SQS (``s3_events``); Route 53 failover records (``route53``); EKS node groups
(``eks``) and tokens for an EKS cluster's Kubernetes API (``eks_access``); Secrets Manager
(``secrets``); the bot's identity (``identity``, STS); the AWS signal kinds (``signals``).
Clients are made one way (``clients``); botocore's errors become ours (``errors``)."""
