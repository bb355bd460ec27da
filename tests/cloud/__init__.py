"""The cloud adapters against their stand-ins: moto and Azurite (real emulators), and wire-level
fakes where no emulator exists, each behaving as the vendor documents: Azure Resource Manager
for Azure SQL and Traffic Manager (``arm_*``), Key Vault, a managed identity endpoint, the
Kubernetes API server with the cluster behind it (``kube_fake``, ``kube_controller``,
``kube_objects``, EKS's token check), Jenkins and a webhook receiver. Other folders' tests use
these stand-ins too."""
