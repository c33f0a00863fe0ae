"""How a container image is produced: the `packaging` of a container.

Five ways, picked by `type`: our zero-config buildpack, an external
(Cloud Native) buildpack, nixpacks, your own Dockerfile, or an image that
already exists in a registry.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from core.model.base import Bool, F, OneOf, StpModel, Str


class LanguageSpecificConfig(StpModel):
    """Build options for the language detected from the entry file."""

    tsConfigPath: Str | None = F("Path to the tsconfig.json used to resolve paths and compile TypeScript.", None)
    emitTsDecoratorMetadata: Bool | None = F("Emit decorator metadata (needed by frameworks such as NestJS or TypeORM).", None)
    dependenciesToExcludeFromBundle: list[Str] | None = F(
        "Packages left out of the bundle and installed as regular node_modules instead (use `*` for all).", None
    )
    dependenciesToExcludeFromDeploymentPackage: list[Str] | None = F(
        "Packages dropped from the deployment entirely (for example ones already present at runtime).", None
    )
    outputModuleFormat: OneOf("cjs", "esm") = F("Module format of the built JavaScript: `cjs` (default) or `esm`.", "cjs")
    nodeVersion: OneOf(16, 17, 18, 19, 20, 21, 22, 23, 24) = F("Major Node.js version of the image. Default: 18.", 18)
    disableSourceMaps: Bool | None = F("Do not produce source maps.", None)
    outputSourceMapsTo: Str | None = F("Folder to write source maps to instead of shipping them in the image.", None)
    minify: Bool = F("Minify the bundle. Default: true.", True)
    packageManagerFile: Str | None = F(
        "Dependency file to install from (requirements.txt, pyproject.toml, Pipfile, pom.xml, build.gradle …).", None
    )
    packageManager: OneOf("uv") | None = F("Python package manager to use; `uv` is supported.", None)
    pythonVersion: OneOf(2.7, 3.6, 3.7, 3.8, 3.9, 3.11, 3.12, 3.13, 3.14) | None = F("Python version of the image.", None)
    runAppAs: OneOf("ASGI", "WSGI") | None = F("Serve the Python entry point as an `ASGI` or `WSGI` app.", None)
    uvWithGroups: list[Str] | None = F("uv dependency groups to include.", None)
    uvWithoutGroups: list[Str] | None = F("uv dependency groups to leave out.", None)
    uvOnlyGroups: list[Str] | None = F("Install only these uv dependency groups.", None)
    uvOptionalDependencies: list[Str] | None = F("uv optional-dependency extras to install.", None)
    useMaven: Bool | None = F("Build Java with Maven instead of Gradle.", None)
    javaVersion: OneOf(8, 11, 17, 19) | None = F("Java version of the image.", None)
    phpVersion: OneOf(8.2, 8.3) | None = F("PHP version of the image.", None)
    dotnetVersion: OneOf(6, 8) | None = F(".NET version of the image.", None)
    projectFile: Str | None = F("The .csproj file to build (.NET).", None)
    rubyVersion: OneOf(3.2, 3.3) | None = F("Ruby version of the image.", None)


class _ImageCommand(StpModel):
    command: list[Str] | None = F("Overrides the image's default command (Docker `CMD`).", None)
    entryPoint: list[Str] | None = F("Overrides the image's entry point (Docker `ENTRYPOINT`).", None)


class StacktapeImageBuildpackProps(_ImageCommand):
    entryfilePath: Str = F(
        "Path (from the project root) to the file your app starts from, e.g. `src/index.ts` or `app/main.py`."
        " Its language decides how the image is built."
    )
    includeFiles: list[Str] | None = F("Extra files or glob patterns to copy into the image.", None)
    excludeFiles: list[Str] | None = F("Files or glob patterns to keep out of the image.", None)
    excludeDependencies: list[Str] | None = F("Dependencies to keep out of the image.", None)
    languageSpecificConfig: LanguageSpecificConfig | None = F("Options for the detected language.", None)
    requiresGlibcBinaries: Bool | None = F("Use a glibc-based base image (needed by some native modules).", None)
    customDockerBuildCommands: list[Str] | None = F("Extra `RUN` commands added to the generated Dockerfile.", None)


class StacktapeImageBuildpack(StpModel):
    type: Literal["stacktape-image-buildpack"] = F("Build the image from your source with zero configuration.")
    properties: StacktapeImageBuildpackProps = F("Where the code starts and how to bundle it.")


class ExternalBuildpackProps(_ImageCommand):
    sourceDirectoryPath: Str = F("Folder holding the source the buildpack builds.")
    builder: Str = F(
        "Builder image that runs the buildpacks. Default: `paketobuildpacks/builder-jammy-base`.",
        "paketobuildpacks/builder-jammy-base",
    )
    buildpacks: list[Str] | None = F("Buildpacks to use, overriding the builder's detection.", None)


class ExternalBuildpack(StpModel):
    type: Literal["external-buildpack"] = F("Build the image with Cloud Native Buildpacks (Paketo, Heroku …).")
    properties: ExternalBuildpackProps = F("Source folder and builder.")


class NixpacksPhase(StpModel):
    name: Str = F("Name of the build phase (e.g. `setup`, `install`, `build`).")
    cmds: list[Str] | None = F("Shell commands run in this phase.", None)
    nixPkgs: list[Str] | None = F("Nix packages installed in this phase.", None)
    nixLibs: list[Str] | None = F("Nix libraries made available in this phase.", None)
    nixOverlay: list[Str] | None = F("Nix overlays applied in this phase.", None)
    nixpkgsArchive: Str | None = F("Pinned nixpkgs archive (commit) to take packages from.", None)
    aptPkgs: list[Str] | None = F("Debian packages installed with apt in this phase.", None)
    cacheDirectories: list[Str] | None = F("Folders kept between builds to speed them up.", None)
    onlyIncludeFiles: list[Str] | None = F("Copy only these files into the phase.", None)


class NixpacksProps(_ImageCommand):
    sourceDirectoryPath: Str = F("Folder holding the source nixpacks builds.")
    buildImage: Str | None = F("Base image for the build stage.", None)
    providers: list[Str] | None = F("Language providers to use instead of auto-detection.", None)
    startCmd: Str | None = F("Command that starts the app.", None)
    startRunImage: Str | None = F("Base image for the final (run) stage.", None)
    startOnlyIncludeFiles: list[Str] | None = F("Only these files are copied into the run image.", None)
    phases: list[NixpacksPhase] | None = F("Custom build phases.", None)


class Nixpacks(StpModel):
    type: Literal["nixpacks"] = F("Build the image with nixpacks, which detects the language from the source.")
    properties: NixpacksProps = F("Source folder and build phases.")


class BuildArg(StpModel):
    argName: Str = F("Name of the Docker build argument (`ARG` in the Dockerfile).")
    value: Str = F("Value passed for it.")


class CustomDockerfileProps(_ImageCommand):
    buildContextPath: Str = F("Folder sent to Docker as the build context.")
    dockerfilePath: Str | None = F("Dockerfile path relative to the build context. Default: `Dockerfile`.", None)
    buildArgs: list[BuildArg] | None = F("Build arguments passed with `--build-arg`.", None)


class CustomDockerfile(StpModel):
    type: Literal["custom-dockerfile"] = F("Build the image from your own Dockerfile.")
    properties: CustomDockerfileProps = F("Build context, Dockerfile and build arguments.")


class PrebuiltImageProps(_ImageCommand):
    image: Str = F("Image to run, e.g. `nginx:1.27` or an ECR URI.")
    repositoryCredentialsSecretArn: Str | None = F(
        "ARN of a Secrets Manager secret holding `username` and `password` for a private registry.", None
    )


class PrebuiltImage(StpModel):
    type: Literal["prebuilt-image"] = F("Run an image that already exists in a registry.")
    properties: PrebuiltImageProps = F("The image and how to pull it.")


ContainerPackaging = Annotated[
    Union[StacktapeImageBuildpack, ExternalBuildpack, Nixpacks, CustomDockerfile, PrebuiltImage],
    Field(discriminator="type"),
]
