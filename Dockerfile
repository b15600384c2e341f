# syntax=docker/dockerfile:1
# Multi-stage build of the Signaling server. The build steps are the README's:
#   dotnet publish src/Signaling.Server -c Release -o <dir>

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so the layer is reused when only sources change.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Directory.Build.props src/
COPY src/Signaling.SocketIO/Signaling.SocketIO.csproj src/Signaling.SocketIO/
COPY src/Signaling.Rooms/Signaling.Rooms.csproj src/Signaling.Rooms/
COPY src/Signaling.Push/Signaling.Push.csproj src/Signaling.Push/
COPY src/Signaling.Server/Signaling.Server.csproj src/Signaling.Server/
RUN dotnet restore src/Signaling.Server/Signaling.Server.csproj
COPY appsettings.json ./
COPY src/ src/
RUN dotnet publish src/Signaling.Server -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0-alpine AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    Urls=http://0.0.0.0:8080 \
    DOTNET_gcServer=0
EXPOSE 8080
# The image's unprivileged user (APP_UID, 1654).
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["dotnet", "Signaling.Server.dll"]
