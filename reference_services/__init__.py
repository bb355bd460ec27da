"""The seed's reference workloads, the services CloudPhoenix protects: Service A (an API that
needs its database and S3) and Service B (a data-processing worker). Each answers /health,
/ready and /live. Run by the sandbox and by charts/reference-services; not part of the bot.
"""
