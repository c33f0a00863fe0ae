"""Container images: a template parameter per built image, the string for a prebuilt one.

An image built from source has no URI until the deploy step has built and
pushed it (its digest is known only then), so the template takes it as a
parameter; ``ctx.images`` tells the deploy step which parameter belongs to
which container and how to build it. A prebuilt image is used as written.
"""

from __future__ import annotations

from troposphere import Ref


def image_for(ctx, workload: str, container, owner_path: str):
    """The ``Image`` value of a container definition."""
    pkg = container.packaging
    if pkg.type == "prebuilt-image":
        return ctx.resolve(pkg.properties.image, f"{owner_path}.packaging.properties.image")
    lid = ctx.id(workload, container.id_part, "Image")
    ctx.parameter(
        workload, lid, Type="String", MinLength=1,
        Description=f"Image URI of container '{container.name}' of {workload} (built from source by the deploy step)",
    )
    ctx.images[lid] = {"resource": workload, "container": container.name, "packaging": pkg.type}
    return Ref(lid)


def repository_credentials(ctx, container, owner_path: str):
    """ARN of the secret holding registry credentials of a prebuilt image, or None."""
    pkg = container.packaging
    if pkg.type != "prebuilt-image" or not pkg.properties.repositoryCredentialsSecretArn:
        return None
    return ctx.resolve(pkg.properties.repositoryCredentialsSecretArn,
                       f"{owner_path}.packaging.properties.repositoryCredentialsSecretArn")
