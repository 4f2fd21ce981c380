# The one place the libtorch version is pinned (what the GPU machines run).
TORCH_VERSION=2.11.0
# Runtime libraries libtorch_cuda.so needs that the CUDA 13 toolkit does not ship
# (versions from torch 2.11.0's wheel metadata).
TORCH_CUDA_EXTRAS=("nvidia-cusparselt-cu13==0.8.0" "nvidia-nvshmem-cu13==3.4.5" "nvidia-cufile==1.15.1.6.*")
