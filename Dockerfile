# ci-server (with ci-admin) in a container: Native AOT binaries on a small Debian, with bubblewrap for the job
# sandbox and Python for the jobs.
#   docker build -t ci-server .
#   docker run -p 8000:8000 -v ci-data:/var/lib/ci --cap-add SYS_ADMIN --cap-add NET_ADMIN --cgroupns=private \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined ci-server
#   docker exec <container> ci-admin user create --name "Ada" --email ada@example.com
# The server runs as root and refuses to start without a working job sandbox. bubblewrap needs what Docker's
# defaults refuse: SYS_ADMIN (bwrap makes its namespaces and mounts with it; each job's disk is a tmpfs mount),
# seccomp=unconfined (the default profile blocks unshare and mount) and apparmor=unconfined (docker-default denies
# mount). NET_ADMIN lets the server bring up each job's network namespace and set its egress rules (nftables), so
# outbound jobs reach the internet only. --cgroupns=private shows the container's own cgroup as /sys/fs/cgroup,
# which the entry point remounts writable (SYS_ADMIN) so every job gets a cgroup with its limits. Or append
# --sandbox none to the run command: jobs then run unsandboxed (a warning says so), each still as its own uid.
# See docs/security.md.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev git && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG TARGETARCH
ARG VERSION
ARG BUILD_DATE
RUN rid="linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" && \
    stamp="${VERSION:+-p:Version=$VERSION} ${BUILD_DATE:+-p:BuildDate=$BUILD_DATE}" && \
    for project in server/Server/Ci.Server.csproj server/Admin/Ci.Admin.csproj; do \
      dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true $stamp --nologo -o /out || exit 1; \
    done && rm -f /out/*.dbg /out/*.pdb

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0 AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap passt iproute2 nftables python3 python3-venv python3-pytest \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /opt/ci/
ENV PATH=/opt/ci:$PATH \
    CI_DB_PATH=/var/lib/ci/ci.db \
    CI_PYTHON=/usr/bin/python3
VOLUME /var/lib/ci
EXPOSE 8000
# Docker mounts the cgroup filesystem read-only: made writable here (needs SYS_ADMIN; harmless without it), so jobs get cgroups.
ENTRYPOINT ["/bin/sh", "-c", "for m in $(grep -E ' cgroup2? ' /proc/self/mounts | cut -d' ' -f2); do mount -o remount,rw \"$m\" 2>/dev/null; done; exec ci-server --host 0.0.0.0 --port 8000 \"$@\"", "ci-server"]
